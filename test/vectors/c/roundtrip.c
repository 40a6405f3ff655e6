/*
 * Round trip of the golden vectors through C: the nanopb structs generated from proto/band.proto and
 * proto/debug.proto with proto/band.options and debug.options, and the reference frame codec in proto/c/band_frame.c.
 *
 * Reads lines "KIND HEX" on stdin and answers one line each:
 *   HostMessage|BandMessage|DebugRequest|DebugResponse HEX  ->  "ok HEX" (decoded into the static struct, encoded back)
 *   frame HEX (one frame, delimiter included)               ->  "ok COMMAND PAYLOAD HEX" (decoded, encoded back)
 *   stream HEX (frames back to back)                        ->  "ok N" then, per frame the byte reader
 *                                                               returned, "unit COMMAND PAYLOAD" or "drop STATUS"
 * and "error WHY" when something fails. test/vectors/c-roundtrip.test.ts builds it with cc and compares.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pb_decode.h>
#include <pb_encode.h>

#include "band.pb.h"
#include "band_frame.h"
#include "debug.pb.h"

#define MAX_BYTES 65536

static char line[2 * MAX_BYTES + 64];
static uint8_t input[MAX_BYTES];
static uint8_t output[MAX_BYTES];
/* The largest of the four messages (a full ListFidoCredentialsResponse) is far too big for a stack frame. */
static union {
    band_v1_HostMessage host;
    band_v1_BandMessage band;
    band_v1_DebugRequest debug_request;
    band_v1_DebugResponse debug_response;
} message;
static band_frame_unit unit;
static band_frame_reader reader;

static void print_hex(const uint8_t *bytes, size_t length) {
    for (size_t i = 0; i < length; i++) printf("%02x", bytes[i]);
}

static int from_hex(const char *hex, uint8_t *out, size_t capacity, size_t *length) {
    size_t n = strlen(hex);
    if (n % 2 != 0 || n / 2 > capacity) return 0;
    for (size_t i = 0; i < n / 2; i++) {
        unsigned int byte;
        if (sscanf(hex + 2 * i, "%2x", &byte) != 1) return 0;
        out[i] = (uint8_t)byte;
    }
    *length = n / 2;
    return 1;
}

static const pb_msgdesc_t *descriptor_of(const char *kind) {
    if (strcmp(kind, "HostMessage") == 0) return band_v1_HostMessage_fields;
    if (strcmp(kind, "BandMessage") == 0) return band_v1_BandMessage_fields;
    if (strcmp(kind, "DebugRequest") == 0) return band_v1_DebugRequest_fields;
    if (strcmp(kind, "DebugResponse") == 0) return band_v1_DebugResponse_fields;
    return NULL;
}

/*
 * FidoCredential.rp_id is a callback field (its only bound is the whole unit; see proto/gen-options.mjs). A band
 * would stream it from flash; here each one is kept in a pool as it is decoded and written back from there.
 */
typedef struct {
    size_t at;
    size_t length;
} text_ref;
static uint8_t rp_id_pool[MAX_BYTES];
static size_t rp_id_pool_used;
static text_ref rp_ids[sizeof message.band.body.list_fido_credentials.credentials /
                       sizeof message.band.body.list_fido_credentials.credentials[0]];

static bool decode_rp_id(pb_istream_t *stream, const pb_field_t *field, void **arg) {
    (void)field;
    text_ref *ref = *arg;
    size_t length = stream->bytes_left;
    if (length > sizeof rp_id_pool - rp_id_pool_used) PB_RETURN_ERROR(stream, "rp_id pool full");
    ref->at = rp_id_pool_used;
    ref->length = length;
    rp_id_pool_used += length;
    return pb_read(stream, rp_id_pool + ref->at, length);
}

static bool encode_rp_id(pb_ostream_t *stream, const pb_field_t *field, void *const *arg) {
    const text_ref *ref = *arg;
    if (ref->length == 0) return true; /* proto3: an empty string is not sent */
    return pb_encode_tag_for_field(stream, field) && pb_encode_string(stream, rp_id_pool + ref->at, ref->length);
}

/* BandMessage's submsg_callback: runs before a oneof member is decoded, after nanopb has cleared it. */
static bool before_band_body(pb_istream_t *stream, const pb_field_t *field, void **arg) {
    (void)stream;
    (void)arg;
    if (field->tag != band_v1_BandMessage_list_fido_credentials_tag) return true;
    band_v1_ListFidoCredentialsResponse *list = field->pData;
    for (size_t i = 0; i < sizeof rp_ids / sizeof rp_ids[0]; i++) {
        rp_ids[i].length = 0;
        list->credentials[i].rp_id.funcs.decode = decode_rp_id;
        list->credentials[i].rp_id.arg = &rp_ids[i];
    }
    return true;
}

static void prepare_encode(const pb_msgdesc_t *fields) {
    if (fields != band_v1_BandMessage_fields) return;
    /* The hook shares its slot with an encode hook (pb_callback_t.funcs is a union): clear it for encoding. */
    message.band.cb_body.funcs.encode = NULL;
    if (message.band.which_body != band_v1_BandMessage_list_fido_credentials_tag) return;
    band_v1_ListFidoCredentialsResponse *list = &message.band.body.list_fido_credentials;
    for (pb_size_t i = 0; i < list->credentials_count; i++) list->credentials[i].rp_id.funcs.encode = encode_rp_id;
}

static void protobuf_round_trip(const pb_msgdesc_t *fields, size_t length) {
    memset(&message, 0, sizeof message);
    rp_id_pool_used = 0;
    if (fields == band_v1_BandMessage_fields) message.band.cb_body.funcs.decode = before_band_body;
    pb_istream_t in = pb_istream_from_buffer(input, length);
    if (!pb_decode(&in, fields, &message)) {
        printf("error decode: %s\n", PB_GET_ERROR(&in));
        return;
    }
    prepare_encode(fields);
    pb_ostream_t out = pb_ostream_from_buffer(output, sizeof output);
    if (!pb_encode(&out, fields, &message)) {
        printf("error encode: %s\n", PB_GET_ERROR(&out));
        return;
    }
    printf("ok ");
    print_hex(output, out.bytes_written);
    printf("\n");
}

static void frame_round_trip(size_t length) {
    if (length == 0 || input[length - 1] != BAND_FRAME_DELIMITER) {
        printf("error a frame ends with its 0x00 delimiter\n");
        return;
    }
    band_frame_status status =
        band_frame_decode(input, length - 1, &unit.command, unit.payload, sizeof unit.payload, &unit.length);
    if (status != BAND_FRAME_OK) {
        printf("error decode: %s\n", band_frame_status_name(status));
        return;
    }
    size_t written = 0;
    status = band_frame_encode(unit.command, unit.payload, unit.length, output, sizeof output, &written);
    if (status != BAND_FRAME_OK) {
        printf("error encode: %s\n", band_frame_status_name(status));
        return;
    }
    printf("ok %02x ", unit.command);
    print_hex(unit.payload, unit.length);
    printf(" ");
    print_hex(output, written);
    printf("\n");
}

static void stream(size_t length) {
    band_frame_reader_init(&reader);
    size_t units = 0;
    /* Collected first, printed after the count, so the answer is one "ok N" line and N more. */
    static char report[4 * MAX_BYTES];
    size_t used = 0;
    for (size_t i = 0; i < length; i++) {
        band_frame_status status = band_frame_reader_push(&reader, input[i], &unit);
        if (status == BAND_FRAME_PENDING) continue;
        units++;
        if (status == BAND_FRAME_OK) {
            used += (size_t)snprintf(report + used, sizeof report - used, "unit %02x ", unit.command);
            for (size_t j = 0; j < unit.length; j++)
                used += (size_t)snprintf(report + used, sizeof report - used, "%02x", unit.payload[j]);
            used += (size_t)snprintf(report + used, sizeof report - used, "\n");
        } else {
            used += (size_t)snprintf(report + used, sizeof report - used, "drop %s\n", band_frame_status_name(status));
        }
    }
    printf("ok %zu\n%s", units, report);
}

int main(void) {
    while (fgets(line, sizeof line, stdin) != NULL) {
        line[strcspn(line, "\r\n")] = '\0';
        char *space = strchr(line, ' ');
        if (space == NULL) {
            printf("error expected KIND HEX\n");
            continue;
        }
        *space = '\0';
        size_t length = 0;
        if (!from_hex(space + 1, input, sizeof input, &length)) {
            printf("error bad hex\n");
            continue;
        }
        const pb_msgdesc_t *fields = descriptor_of(line);
        if (fields != NULL) {
            protobuf_round_trip(fields, length);
        } else if (strcmp(line, "frame") == 0) {
            frame_round_trip(length);
        } else if (strcmp(line, "stream") == 0) {
            stream(length);
        } else {
            printf("error unknown kind %s\n", line);
        }
        fflush(stdout);
    }
    return 0;
}
