/*
 * A hidraw node for libfido2 that is bandsim's UDP-HID port (test/interop/libfido2.test.ts).
 *
 * libfido2 on Linux talks to a key through /dev/hidrawN: open(2), fstat(2) (it must be a character device),
 * flock(2), two ioctls for the report descriptor (from which it takes the report sizes), then write(2) of a report
 * ID byte plus one output report and read(2) of one input report, waiting with ppoll(2). This container has no vhci
 * and no uhid to make such a node, so, preloaded into fido2-token/fido2-cred, this library answers those calls for
 * one path (BAND_HIDRAW_PATH) with a UDP socket connected to 127.0.0.1:BAND_HIDRAW_UDP_PORT, where bandsim carries
 * one 64-byte report per datagram. The report descriptor is the band's own (BAND_HIDRAW_DESCRIPTOR, hex), so
 * libfido2 sizes its reports from what the band declares over USB. Every other path and descriptor is untouched.
 * The kernel's hidraw path is covered by the USB/IP VM test (test/vm/); this covers libfido2's CTAP2 logic.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/hidraw.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

static int band_fd = -1;

static const char *setting(const char *name) {
  const char *value = getenv(name);
  return value != NULL && value[0] != '\0' ? value : NULL;
}

static int is_band(int fd) { return fd >= 0 && fd == band_fd; }

static int open_band(void) {
  const char *port = setting("BAND_HIDRAW_UDP_PORT");
  if (port == NULL) {
    errno = ENOENT;
    return -1;
  }
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  struct sockaddr_in to;
  memset(&to, 0, sizeof(to));
  to.sin_family = AF_INET;
  to.sin_port = htons((unsigned short)atoi(port));
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, (struct sockaddr *)&to, sizeof(to)) < 0) {
    int saved = errno;
    close(fd);
    errno = saved;
    return -1;
  }
  band_fd = fd;
  return fd;
}

int open(const char *path, int flags, ...) {
  static int (*real_open)(const char *, int, ...);
  if (real_open == NULL) real_open = (int (*)(const char *, int, ...))dlsym(RTLD_NEXT, "open");
  const char *band = setting("BAND_HIDRAW_PATH");
  if (band != NULL && strcmp(path, band) == 0) {
    if (band_fd >= 0) {
      errno = EBUSY; /* one opener at a time, as libfido2's flock would see */
      return -1;
    }
    return open_band();
  }
  mode_t mode = 0;
  if (flags & (O_CREAT | O_TMPFILE)) {
    va_list ap;
    va_start(ap, flags);
    mode = (mode_t)va_arg(ap, int);
    va_end(ap);
  }
  return real_open(path, flags, mode);
}

int fstat(int fd, struct stat *st) {
  static int (*real_fstat)(int, struct stat *);
  if (real_fstat == NULL) real_fstat = (int (*)(int, struct stat *))dlsym(RTLD_NEXT, "fstat");
  int r = real_fstat(fd, st);
  if (r == 0 && is_band(fd)) st->st_mode = S_IFCHR | 0600;
  return r;
}

int flock(int fd, int operation) {
  static int (*real_flock)(int, int);
  if (real_flock == NULL) real_flock = (int (*)(int, int))dlsym(RTLD_NEXT, "flock");
  if (is_band(fd)) return 0;
  return real_flock(fd, operation);
}

/* The descriptor as bytes, from BAND_HIDRAW_DESCRIPTOR; -1 if absent or not hex. */
static int descriptor(unsigned char *out, size_t room) {
  const char *hex = setting("BAND_HIDRAW_DESCRIPTOR");
  if (hex == NULL) return -1;
  size_t n = strlen(hex);
  if (n % 2 != 0 || n / 2 > room) return -1;
  for (size_t i = 0; i < n / 2; i++) {
    char pair[3] = {hex[2 * i], hex[2 * i + 1], 0};
    char *end;
    long v = strtol(pair, &end, 16);
    if (*end != 0) return -1;
    out[i] = (unsigned char)v;
  }
  return (int)(n / 2);
}

int ioctl(int fd, unsigned long request, ...) {
  static int (*real_ioctl)(int, unsigned long, ...);
  if (real_ioctl == NULL) real_ioctl = (int (*)(int, unsigned long, ...))dlsym(RTLD_NEXT, "ioctl");
  va_list ap;
  va_start(ap, request);
  void *arg = va_arg(ap, void *);
  va_end(ap);
  if (!is_band(fd)) return real_ioctl(fd, request, arg);
  struct hidraw_report_descriptor d;
  int size = descriptor(d.value, sizeof(d.value));
  if (size < 0) {
    errno = EINVAL;
    return -1;
  }
  if (request == HIDIOCGRDESCSIZE) {
    *(int *)arg = size;
    return 0;
  }
  if (request == HIDIOCGRDESC) {
    struct hidraw_report_descriptor *to = arg;
    if (to->size > (unsigned)size) to->size = (unsigned)size;
    memcpy(to->value, d.value, to->size);
    return 0;
  }
  errno = ENOTTY;
  return -1;
}

static ssize_t real_write(int fd, const void *buf, size_t len) {
  static ssize_t (*next)(int, const void *, size_t);
  if (next == NULL) next = (ssize_t(*)(int, const void *, size_t))dlsym(RTLD_NEXT, "write");
  return next(fd, buf, len);
}

/* hidraw write: a report ID byte (0: the band has none), then the report; the datagram carries the report. */
ssize_t write(int fd, const void *buf, size_t len) {
  if (!is_band(fd)) return real_write(fd, buf, len);
  if (len < 1 || ((const unsigned char *)buf)[0] != 0) {
    errno = EINVAL;
    return -1;
  }
  ssize_t sent = send(fd, (const unsigned char *)buf + 1, len - 1, 0);
  return sent < 0 ? -1 : sent + 1;
}

int close(int fd) {
  static int (*real_close)(int);
  if (real_close == NULL) real_close = (int (*)(int))dlsym(RTLD_NEXT, "close");
  if (is_band(fd)) band_fd = -1;
  return real_close(fd);
}

/*
 * What a person would see the band ask for: each CTAPHID KEEPALIVE's status (2: UPNEEDED, "touch me") and the CTAP
 * status of each CBOR reply, as lines on BAND_HIDRAW_EVENTS_FD, so the test's simulated wearer touches the sensor
 * when the band waits for a sample (CTAP 2.1 §11.2.9.1.5; an initialization packet: CID, CMD, BCNT, DATA).
 */
static void tell(const unsigned char *report, ssize_t n) {
  const char *events = setting("BAND_HIDRAW_EVENTS_FD");
  if (events == NULL || n < 8) return;
  char line[32];
  int len;
  if (report[4] == 0xbb)
    len = snprintf(line, sizeof(line), "keepalive %u\n", report[7]);
  else if (report[4] == 0x90)
    len = snprintf(line, sizeof(line), "cbor %u\n", report[7]);
  else
    return;
  if (real_write(atoi(events), line, (size_t)len) < 0) return; /* the test stopped listening: nothing to tell */
}

/* hidraw read: one input report, a datagram. */
ssize_t read(int fd, void *buf, size_t len) {
  static ssize_t (*real_read)(int, void *, size_t);
  if (real_read == NULL) real_read = (ssize_t(*)(int, void *, size_t))dlsym(RTLD_NEXT, "read");
  ssize_t n = real_read(fd, buf, len);
  if (is_band(fd)) tell(buf, n);
  return n;
}
