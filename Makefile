.PHONY: run test build room
run:
	./dev.sh run
test:
	./dev.sh test
build:
	./dev.sh build
room:
	./dev.sh room
