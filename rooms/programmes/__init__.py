"""Mentoring programmes: people, matching mentors to mentees, intros and coffee rounds."""
