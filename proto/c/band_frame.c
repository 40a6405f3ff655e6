/*
 * band_frame.c: COBS + CRC-32 frames of the band protocol. See band_frame.h for the format and the contract;
 * transport/frame.ts and transport/cobs.ts are the host's implementation of the same rules.
 */
#include "band_frame.h"

#include <string.h>

const char *band_frame_status_name(band_frame_status status) {
    switch (status) {
    case BAND_FRAME_OK:
        return "OK";
    case BAND_FRAME_PENDING:
        return "PENDING";
    case BAND_FRAME_E_COBS:
        return "FRAME_COBS";
    case BAND_FRAME_E_TOO_SHORT:
        return "FRAME_TOO_SHORT";
    case BAND_FRAME_E_CRC:
        return "FRAME_CRC";
    case BAND_FRAME_E_TOO_LARGE:
        return "FRAME_TOO_LARGE";
    case BAND_FRAME_E_BAD_COMMAND:
        return "FRAME_BAD_COMMAND";
    case BAND_FRAME_E_BUFFER:
        return "BUFFER";
    }
    return "UNKNOWN";
}

/*
 * CRC-32 (IEEE 802.3, as zlib's crc32()), four bits at a time: a 16-entry table (64 bytes of flash) is a
 * fair trade between the bitwise loop and the usual 1 KiB byte table on a microcontroller.
 */
static const uint32_t crc_nibble[16] = {
    0x00000000u, 0x1db71064u, 0x3b6e20c8u, 0x26d930acu, 0x76dc4190u, 0x6b6b51f4u, 0x4db26158u, 0x5005713cu,
    0xedb88320u, 0xf00f9344u, 0xd6d6a3e8u, 0xcb61b38cu, 0x9b64c2b0u, 0x86d3d2d4u, 0xa00ae278u, 0xbdbdf21cu,
};

uint32_t band_crc32(uint32_t crc, const uint8_t *data, size_t length) {
    crc = ~crc;
    for (size_t i = 0; i < length; i++) {
        crc ^= data[i];
        crc = (crc >> 4) ^ crc_nibble[crc & 0x0fu];
        crc = (crc >> 4) ^ crc_nibble[crc & 0x0fu];
    }
    return ~crc;
}

size_t band_cobs_encode(const uint8_t *in, size_t length, uint8_t *out) {
    size_t code_at = 0; /* where the current group's code byte goes */
    size_t w = 1;       /* next data byte of the current group */
    uint8_t code = 1;   /* 1 + bytes in the current group */
    for (size_t r = 0; r < length; r++) {
        if (in[r] == 0) {
            out[code_at] = code;
            code_at = w++;
            code = 1;
            continue;
        }
        out[w++] = in[r];
        if (++code == 0xff) {
            /* A full group carries no implied zero; start another only if input remains (minimal COBS). */
            out[code_at] = code;
            if (r + 1 == length) return w;
            code_at = w++;
            code = 1;
        }
    }
    out[code_at] = code;
    return w;
}

band_frame_status band_cobs_decode(const uint8_t *in, size_t length, uint8_t *out, size_t capacity,
                                   size_t *out_length) {
    if (length == 0) return BAND_FRAME_E_COBS;
    size_t r = 0;
    size_t w = 0;
    while (r < length) {
        uint8_t code = in[r];
        if (code == 0) return BAND_FRAME_E_COBS;
        size_t end = r + code;
        if (end > length) return BAND_FRAME_E_COBS;
        for (size_t i = r + 1; i < end; i++) {
            if (in[i] == 0) return BAND_FRAME_E_COBS;
            if (w == capacity) return BAND_FRAME_E_BUFFER;
            out[w++] = in[i];
        }
        r = end;
        if (code != 0xff && r < length) {
            if (w == capacity) return BAND_FRAME_E_BUFFER;
            out[w++] = 0;
        }
    }
    *out_length = w;
    return BAND_FRAME_OK;
}

band_frame_status band_frame_encode(uint8_t command, const uint8_t *payload, size_t payload_length, uint8_t *out,
                                    size_t capacity, size_t *out_length) {
    if (command > BAND_FRAME_MAX_COMMAND) return BAND_FRAME_E_BAD_COMMAND;
    if (payload_length > BAND_FRAME_MAX_PAYLOAD) return BAND_FRAME_E_TOO_LARGE;
    size_t raw_length = 1u + payload_length + BAND_FRAME_CRC_BYTES;
    if (capacity < BAND_COBS_MAX_ENCODED(raw_length) + 1u) return BAND_FRAME_E_BUFFER;
    /*
     * Encode in place from the back of `out`: the raw frame is assembled at the end of the buffer, where the
     * encoder (which never writes ahead of what it has read by more than one code byte per 254) cannot reach
     * it before reading it. That saves a second 7.6 KiB buffer on the band.
     */
    uint8_t *raw = out + capacity - raw_length;
    raw[0] = command;
    if (payload_length > 0) memmove(raw + 1, payload, payload_length);
    uint32_t crc = band_crc32(0, raw, 1u + payload_length);
    raw[1 + payload_length] = (uint8_t)(crc & 0xffu);
    raw[2 + payload_length] = (uint8_t)((crc >> 8) & 0xffu);
    raw[3 + payload_length] = (uint8_t)((crc >> 16) & 0xffu);
    raw[4 + payload_length] = (uint8_t)(crc >> 24);
    size_t n = band_cobs_encode(raw, raw_length, out);
    out[n] = BAND_FRAME_DELIMITER;
    *out_length = n + 1u;
    return BAND_FRAME_OK;
}

/*
 * Frame decoding in one pass over the COBS block, with no scratch buffer: the last four decoded bytes are held
 * back in `tail` (they may be the CRC), and each byte that leaves the window is payload, fed to the CRC and
 * copied out. A payload is only valid once the whole frame has been checked, so a caller must ignore `payload`
 * unless the result is BAND_FRAME_OK.
 */
typedef struct {
    uint8_t command;
    uint8_t tail[BAND_FRAME_CRC_BYTES];
    size_t decoded; /* bytes decoded so far, command included */
    uint32_t crc;   /* over the command and every byte that has left the window */
    uint8_t *payload;
    size_t capacity;
} frame_sink;

static void sink_byte(frame_sink *sink, uint8_t byte) {
    if (sink->decoded == 0) {
        sink->command = byte;
        sink->crc = band_crc32(0, &byte, 1);
    } else {
        size_t k = sink->decoded - 1; /* index after the command */
        if (k >= BAND_FRAME_CRC_BYTES) {
            uint8_t leaving = sink->tail[k % BAND_FRAME_CRC_BYTES];
            size_t at = k - BAND_FRAME_CRC_BYTES;
            sink->crc = band_crc32(sink->crc, &leaving, 1);
            if (at < sink->capacity) sink->payload[at] = leaving;
        }
        sink->tail[k % BAND_FRAME_CRC_BYTES] = byte;
    }
    sink->decoded++;
}

band_frame_status band_frame_decode(const uint8_t *encoded, size_t length, uint8_t *command, uint8_t *payload,
                                    size_t capacity, size_t *payload_length) {
    if (length > BAND_FRAME_MAX_ENCODED) return BAND_FRAME_E_TOO_LARGE;
    if (length == 0) return BAND_FRAME_E_COBS;
    frame_sink sink = {0, {0}, 0, 0, payload, capacity};
    size_t r = 0;
    while (r < length) {
        uint8_t code = encoded[r];
        if (code == 0) return BAND_FRAME_E_COBS;
        size_t end = r + code;
        if (end > length) return BAND_FRAME_E_COBS;
        for (size_t i = r + 1; i < end; i++) {
            if (encoded[i] == 0) return BAND_FRAME_E_COBS;
            sink_byte(&sink, encoded[i]);
        }
        r = end;
        if (code != 0xff && r < length) sink_byte(&sink, 0);
    }
    if (sink.decoded < 1u + BAND_FRAME_CRC_BYTES) return BAND_FRAME_E_TOO_SHORT;
    size_t n = sink.decoded - 1; /* bytes after the command: payload then CRC */
    uint32_t sent = 0;
    for (size_t j = 0; j < BAND_FRAME_CRC_BYTES; j++) {
        sent |= (uint32_t)sink.tail[(n - BAND_FRAME_CRC_BYTES + j) % BAND_FRAME_CRC_BYTES] << (8u * j);
    }
    if (sent != sink.crc) return BAND_FRAME_E_CRC;
    size_t body = n - BAND_FRAME_CRC_BYTES;
    if (body > BAND_FRAME_MAX_PAYLOAD) return BAND_FRAME_E_TOO_LARGE;
    if (sink.command > BAND_FRAME_MAX_COMMAND) return BAND_FRAME_E_BAD_COMMAND;
    if (body > capacity) return BAND_FRAME_E_BUFFER;
    *command = sink.command;
    *payload_length = body;
    return BAND_FRAME_OK;
}

void band_frame_reader_init(band_frame_reader *reader) {
    reader->length = 0;
    reader->overflowed = false;
}

band_frame_status band_frame_reader_push(band_frame_reader *reader, uint8_t byte, band_frame_unit *unit) {
    if (byte != BAND_FRAME_DELIMITER) {
        if (reader->length < sizeof reader->block) {
            reader->block[reader->length++] = byte;
        } else {
            reader->overflowed = true;
        }
        return BAND_FRAME_PENDING;
    }
    size_t length = reader->length;
    bool overflowed = reader->overflowed;
    band_frame_reader_init(reader);
    if (overflowed) return BAND_FRAME_E_TOO_LARGE;
    if (length == 0) return BAND_FRAME_PENDING;
    return band_frame_decode(reader->block, length, &unit->command, unit->payload, sizeof unit->payload,
                             &unit->length);
}
