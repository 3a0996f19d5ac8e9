"""ForwardingPeerConnection: an RTCPeerConnection that forwards RTP and keeps to its ICE policy."""

from __future__ import annotations

import logging
from typing import Any

from aiortc import RTCPeerConnection, RTCRtpTransceiver, RTCSessionDescription
from aiortc.exceptions import OperationError
from aiortc.mediastreams import MediaStreamTrack

from media import guards
from media.admission import IngressCounters, SsrcAdmission
from media.config import MediaConfig
from media.errors import INVALID_SDP, MEDIA_FAILED, UNSUPPORTED_CODEC, MediaError
from media.ice import (
    allowed_networks,
    candidate_allowed,
    filter_remote_candidates,
    has_candidates,
    refused_candidates,
    restrict_gathering,
    rtc_configuration,
)
from media.ingress import RtpIngress
from media.receiver import ForwardingReceiver
from media.sender import ForwardingSender

logger = logging.getLogger(__name__)


class ForwardingPeerConnection(RTCPeerConnection):
    """A server-side peer connection whose every transceiver forwards, never codes.

    Each transceiver aiortc creates for it (by ``addTransceiver`` or for an m-line of a
    remote offer) gets a :class:`ForwardingReceiver` and a :class:`ForwardingSender`
    instead of aiortc's decoding receiver and encoding sender - per connection, so
    aiortc's module globals stay untouched. It gathers host candidates only on the
    configured addresses, and drops remote candidates outside the allowed networks.
    Every datagram at its ICE ports is screened by an :class:`RtpIngress` (installed
    once its candidates are gathered), SRTP only for the SSRCs ``admission`` allows.
    """

    def __init__(self, config: MediaConfig) -> None:
        super().__init__(configuration=rtc_configuration(config.ice_servers))
        self._config = config
        self._networks = allowed_networks(config.ice_allowed_networks)
        self.admission = SsrcAdmission()

    def _create_forwarding_transceiver(
        self, direction: str, kind: str, sender_track: MediaStreamTrack | None = None
    ) -> RTCRtpTransceiver:
        create = getattr(super(), guards.PC_CREATE_TRANSCEIVER)
        transceiver: RTCRtpTransceiver = create(direction, kind, None)
        transport = transceiver.receiver.transport
        receiver = ForwardingReceiver(kind, transport)
        sender = ForwardingSender(kind, transport)
        sender._stream_id = transceiver.sender._stream_id
        receiver._set_rtcp_ssrc(sender._ssrc)
        setattr(transceiver, guards.TRANSCEIVER_RECEIVER, receiver)
        setattr(transceiver, guards.TRANSCEIVER_SENDER, sender)
        return transceiver

    def forwarding_receivers(self) -> list[ForwardingReceiver]:
        """Every receiver of this connection (all forwarding ones)."""
        return [r for r in self.getReceivers() if isinstance(r, ForwardingReceiver)]

    def forwarding_senders(self) -> list[ForwardingSender]:
        """Every sender of this connection (all forwarding ones)."""
        return [s for s in self.getSenders() if isinstance(s, ForwardingSender)]

    def codecs_running(self) -> int:
        """Decoder threads and encoders that exist in this connection (always 0)."""
        decoders = sum(
            1
            for r in self.getReceivers()
            if not isinstance(r, ForwardingReceiver)
            or getattr(r, guards.RECEIVER_DECODER_THREAD) is not None
        )
        encoders = sum(
            1
            for s in self.getSenders()
            if not isinstance(s, ForwardingSender) or getattr(s, guards.SENDER_ENCODER) is not None
        )
        return decoders + encoders

    def _stun_allowed(self, host: str) -> bool:
        """ICE checks are answered only from the allowed networks (see RtpIngress)."""
        return candidate_allowed(host, self._networks)

    def dtls_transports(self) -> list[Any]:
        """Each distinct DTLS transport of this connection (one when bundled)."""
        transports = (t.receiver.transport for t in self.getTransceivers())
        return list({id(dtls): dtls for dtls in transports}.values())

    def ingress_counters(self) -> IngressCounters:
        """What this connection's ICE ports dropped, by reason (all its transports)."""
        total = IngressCounters()
        for dtls in self.dtls_transports():
            ingress = RtpIngress.installed(dtls)
            if ingress is not None:
                total.add(ingress.counters)
        return total

    async def close(self) -> None:
        """Close, and free the SRTP state of every SSRC this connection received."""
        await super().close()
        for dtls in self.dtls_transports():
            ingress = RtpIngress.installed(dtls)
            if ingress is not None:
                ingress.release()

    async def apply_remote(self, sdp: str, kind: str) -> None:
        """setRemoteDescription, without candidates outside the allowed networks.

        An offer whose every candidate is outside them (e.g. a client that can only be
        reached through a TURN server whose relayed address is not allowed) is refused
        as such: without a remote candidate, aiortc's connection fails at once and the
        answer would go out without candidates of its own either.
        """
        filtered = filter_remote_candidates(sdp, self._networks)
        refused = refused_candidates(sdp, self._networks)
        if refused and not has_candidates(filtered):
            # for the operator: a TURN relay address to add to the allowed networks?
            logger.warning("remote %s: every candidate is outside the allowed ICE networks "
                           "%s: %s", kind, ", ".join(self._config.ice_allowed_networks),
                           "; ".join(refused[:8]))
            if kind == "offer":
                raise MediaError(MEDIA_FAILED, "None of the network addresses your device "
                                 "offered is one the media server accepts.")
        self.admission.signal(filtered)
        await self.setRemoteDescription(RTCSessionDescription(sdp=filtered, type=kind))

    async def apply_local(self) -> str:
        """Create the offer or answer, gather on the configured addresses, apply it.

        Returns the complete local description (candidates included, no trickle).
        Raises MediaError ``media_failed`` if that fails or gathers no candidate.
        """
        if self.signalingState == "have-remote-offer":
            description = await self.createAnswer()
        else:
            description = await self.createOffer()
        restrict_gathering(self, self._config.ice_host_addresses)
        try:
            await self.setLocalDescription(description)
        except Exception as exc:
            # the details are for the log, not the client
            logger.exception("setLocalDescription failed")
            raise MediaError(MEDIA_FAILED, "The media server could not set up.") from exc
        for dtls in self.dtls_transports():
            RtpIngress.for_transport(dtls, self.admission, self._stun_allowed)
        sdp = str(self.localDescription.sdp)
        if "\na=candidate:" not in sdp:
            raise MediaError(
                MEDIA_FAILED,
                "The media server has no usable network address (ICE gathered nothing).",
            )
        return sdp


async def apply_remote_checked(pc: ForwardingPeerConnection, sdp: str, kind: str) -> None:
    """``pc.apply_remote(sdp, kind)``, any failure raised as MediaError ``unsupported_codec``
    (no common codec for an m-line) or ``invalid_sdp`` (anything else)."""
    try:
        await pc.apply_remote(sdp, kind)
    # aiortc's exception text is logged, never sent: clients get a fixed sentence
    except OperationError as exc:  # no common codec for an m-line
        logger.info("remote %s refused: %s", kind, exc)
        raise MediaError(UNSUPPORTED_CODEC, "No usable codec was offered.") from exc
    except MediaError:
        raise
    except Exception as exc:
        logger.info("remote %s refused: %r", kind, exc)
        raise MediaError(INVALID_SDP, "The session description was refused.") from exc


def _install_transceiver_factory() -> None:
    # RTCPeerConnection creates every transceiver in one name-mangled method; overriding
    # it in the subclass (under its mangled name) swaps in the forwarding objects.
    setattr(
        ForwardingPeerConnection,
        guards.PC_CREATE_TRANSCEIVER,
        ForwardingPeerConnection._create_forwarding_transceiver,
    )


_install_transceiver_factory()
