"""A browser recording as a file the speech model reads.

Chainlit's microphone sends raw 16-bit little-endian mono PCM (``audio/pcm16``) at the
configured sample rate; Whisper wants a container, so the chunks are wrapped in a WAV header.
"""

from __future__ import annotations

import io
import wave


def pcm16_to_wav(pcm: bytes, sample_rate: int) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(sample_rate)
        out.writeframes(pcm)
    return buffer.getvalue()
