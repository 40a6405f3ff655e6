/*
 * band_frame: the serial/TCP frame of the band protocol, for C firmware.
 *
 * One unit (command, payload) travels as
 *
 *     COBS( [command] [payload ...] [CRC-32 of command+payload, little-endian] ) 0x00
 *
 * - command: the CTAPHID command number, 7 bits (0x41 BAND carries a protobuf HostMessage/BandMessage,
 *   0x42 DEBUG the debug link, 0x10 CBOR a CTAP2 request; see docs/protocol.md);
 * - payload: at most BAND_FRAME_MAX_PAYLOAD (7609) bytes, the CTAPHID message ceiling (57 + 128 * 59), so a
 *   unit read from serial fits USB HID unchanged;
 * - CRC-32: the IEEE 802.3 / zlib CRC (reflected polynomial 0xEDB88320, initial value and final XOR
 *   0xFFFFFFFF) over the command byte and the payload;
 * - COBS (Cheshire & Baker, 1999) removes every 0x00 so that 0x00 delimits frames and a reader resynchronises
 *   at the next 0x00 after any corruption. The encoder is the minimal form: no extra 0x01 group after a full
 *   254-byte group that ends the input. The decoder accepts exactly what the encoder produces.
 *
 * Everything works on caller-provided buffers: no allocation, no global state, C99, no dependencies beyond
 * <stdint.h>, <stddef.h> and <stdbool.h>. The golden vectors in proto/vectors/ are the test of record:
 * test/vectors/c/roundtrip.c decodes and re-encodes every frame there byte for byte.
 */
#ifndef BAND_FRAME_H
#define BAND_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Largest payload of one unit on any wire (CTAPHID: 57 + 128 * 59). */
#define BAND_FRAME_MAX_PAYLOAD 7609u
/** Commands are 7-bit on every wire (CTAPHID spends the top bit marking init packets). */
#define BAND_FRAME_MAX_COMMAND 0x7fu
#define BAND_FRAME_CRC_BYTES 4u
#define BAND_FRAME_DELIMITER 0x00u
/** Upper bound of the COBS encoding of n bytes (one code byte per started 254-byte group). */
#define BAND_COBS_MAX_ENCODED(n) ((n) == 0u ? 1u : (n) + ((n) + 253u) / 254u)
/** Largest raw frame: command, payload, CRC. */
#define BAND_FRAME_MAX_RAW (1u + BAND_FRAME_MAX_PAYLOAD + BAND_FRAME_CRC_BYTES)
/** Largest COBS block of a valid frame, delimiter excluded; a reader may drop anything longer. */
#define BAND_FRAME_MAX_ENCODED BAND_COBS_MAX_ENCODED(BAND_FRAME_MAX_RAW)
/** Largest number of bytes one frame puts on the wire, delimiter included. */
#define BAND_FRAME_MAX_WIRE (BAND_FRAME_MAX_ENCODED + 1u)

/** Why a frame was refused. The names match the host's TransportError codes (transport/errors.ts). */
typedef enum {
    BAND_FRAME_OK = 0,
    /** The reader has not seen a delimiter yet (band_frame_reader_push only). */
    BAND_FRAME_PENDING,
    /** FRAME_COBS: empty block, a 0x00 inside it, or a code byte pointing past its end. */
    BAND_FRAME_E_COBS,
    /** FRAME_TOO_SHORT: fewer than 5 bytes (command + CRC) after COBS decoding. */
    BAND_FRAME_E_TOO_SHORT,
    /** FRAME_CRC: the CRC-32 does not match; the frame was corrupted on the wire. */
    BAND_FRAME_E_CRC,
    /** FRAME_TOO_LARGE: the block or payload exceeds the protocol limit. */
    BAND_FRAME_E_TOO_LARGE,
    /** FRAME_BAD_COMMAND: the command byte has its top bit set. */
    BAND_FRAME_E_BAD_COMMAND,
    /** The caller's output buffer is too small for the result. */
    BAND_FRAME_E_BUFFER
} band_frame_status;

/** A short English name for a status, e.g. "FRAME_CRC", for logs. */
const char *band_frame_status_name(band_frame_status status);

/** Continues a CRC-32: start with crc = 0 and feed the bytes in any number of pieces. */
uint32_t band_crc32(uint32_t crc, const uint8_t *data, size_t length);

/**
 * COBS-encodes `length` bytes of `in` into `out` (which must hold BAND_COBS_MAX_ENCODED(length) bytes; it may not
 * overlap `in`). Returns the encoded length; no delimiter is written.
 */
size_t band_cobs_encode(const uint8_t *in, size_t length, uint8_t *out);

/**
 * Decodes one COBS block (delimiter excluded) into `out` (capacity `capacity`; `length` bytes always suffice).
 * On BAND_FRAME_OK, *out_length is the decoded length.
 */
band_frame_status band_cobs_decode(const uint8_t *in, size_t length, uint8_t *out, size_t capacity,
                                   size_t *out_length);

/**
 * Writes the wire bytes of one unit, trailing 0x00 included, into `out` (capacity `capacity`;
 * BAND_FRAME_MAX_WIRE always suffices). On BAND_FRAME_OK, *out_length is the number of bytes to send.
 */
band_frame_status band_frame_encode(uint8_t command, const uint8_t *payload, size_t payload_length, uint8_t *out,
                                    size_t capacity, size_t *out_length);

/**
 * Decodes one frame as read up to (not including) its 0x00 delimiter. The payload is written to `payload`
 * (capacity `capacity`; BAND_FRAME_MAX_PAYLOAD always suffices). Checks run in the host's order: block size,
 * COBS, length, CRC, payload size, command.
 */
band_frame_status band_frame_decode(const uint8_t *encoded, size_t length, uint8_t *command, uint8_t *payload,
                                    size_t capacity, size_t *payload_length);

/** One decoded unit. */
typedef struct {
    uint8_t command;
    size_t length;
    uint8_t payload[BAND_FRAME_MAX_PAYLOAD];
} band_frame_unit;

/**
 * A byte-at-a-time reader for a UART or socket: collects bytes up to each 0x00 and decodes the frame. A block
 * longer than any valid frame is dropped as it arrives (memory stays bounded) and reported at its delimiter.
 * Empty blocks (two delimiters in a row, e.g. a sender flushing the line) are skipped silently.
 */
typedef struct {
    uint8_t block[BAND_FRAME_MAX_ENCODED];
    size_t length;
    bool overflowed;
} band_frame_reader;

void band_frame_reader_init(band_frame_reader *reader);

/**
 * Feeds one received byte. Returns BAND_FRAME_PENDING until a delimiter ends a block, then BAND_FRAME_OK with
 * `*unit` filled, or the reason the frame was dropped; either way the reader is ready for the next frame.
 */
band_frame_status band_frame_reader_push(band_frame_reader *reader, uint8_t byte, band_frame_unit *unit);

#ifdef __cplusplus
}
#endif

#endif /* BAND_FRAME_H */
