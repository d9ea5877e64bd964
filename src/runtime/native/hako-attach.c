/*
 * hako-attach: bridges conmon's attach socket (AF_UNIX SOCK_SEQPACKET, which Node
 * cannot open) to stdio. Usage: hako-attach <socket path>.
 * Each packet conmon sends is <1 byte pipe id (2 stdout, 3 stderr)><data>; it is written to stdout
 * framed as <1 byte pipe id><4 byte big-endian length><data>. Bytes read from stdin
 * are sent as packets; stdin EOF half-closes the socket (conmon then closes the
 * container's stdin). A first frame with pipe id 0 and length 0 says "connected". Exits 0 when conmon closes the socket.
 * The path may exceed sun_path (108 bytes): we chdir to its dir and connect by basename.
 *
 * hako-attach --resize <winsz fifo> <h> <w>: writes "<h> <w>\n" to conmon's winsz fifo once
 * the fifo is empty (FIONREAD), waiting up to 3 s. conmon before 2.2.0 applies the first
 * line of a read to every line of it, so two sizes must never sit in the fifo together.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <time.h>
#include <libgen.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int write_all(int fd, const char *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return -1;
    p += w; n -= (size_t)w;
  }
  return 0;
}

static int connect_attach(const char *path) {
  char a[4096], b[4096];
  snprintf(a, sizeof a, "%s", path);
  snprintf(b, sizeof b, "%s", path);
  if (chdir(dirname(a)) < 0) return -1;
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  snprintf(addr.sun_path, sizeof addr.sun_path, "%s", basename(b));
  int s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
  if (s < 0 || connect(s, (struct sockaddr *)&addr, sizeof addr) < 0) return -1;
  return s;
}

static int resize(const char *fifo, const char *h, const char *w) {
  int fd = open(fifo, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) { fprintf(stderr, "hako-attach: open %s: %s\n", fifo, strerror(errno)); return 1; }
  struct timespec pause = { 0, 2 * 1000 * 1000 };
  for (int waited = 0, queued = 1; waited < 1500; waited++) {
    if (ioctl(fd, FIONREAD, &queued) < 0 || queued == 0) break;
    nanosleep(&pause, NULL);
  }
  char line[64];
  int n = snprintf(line, sizeof line, "%d %d\n", atoi(h), atoi(w));
  int rc = write_all(fd, line, (size_t)n) < 0 ? 1 : 0;
  if (rc) fprintf(stderr, "hako-attach: write %s: %s\n", fifo, strerror(errno));
  close(fd);
  return rc;
}

int main(int argc, char **argv) {
  if (argc == 5 && strcmp(argv[1], "--resize") == 0) return resize(argv[2], argv[3], argv[4]);
  if (argc != 2) { fprintf(stderr, "usage: hako-attach <socket>\n"); return 2; }
  signal(SIGPIPE, SIG_IGN);
  int s = connect_attach(argv[1]);
  if (s < 0) { fprintf(stderr, "hako-attach: connect %s: %s\n", argv[1], strerror(errno)); return 1; }
  static const char connected[5] = { 0, 0, 0, 0, 0 }; /* a frame with pipe id 0: connected */
  if (write_all(1, connected, sizeof connected) < 0) return 1;
  struct pollfd fds[2] = { { .fd = s, .events = POLLIN }, { .fd = 0, .events = POLLIN } };
  char buf[65536 + 5];
  for (;;) {
    if (poll(fds, 2, -1) < 0) { if (errno == EINTR) continue; return 1; }
    if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t n = recv(s, buf + 4, sizeof buf - 4, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return 0;
      uint32_t len = (uint32_t)(n - 1);
      buf[0] = buf[4];
      buf[1] = (char)(len >> 24); buf[2] = (char)(len >> 16); buf[3] = (char)(len >> 8); buf[4] = (char)len;
      if (write_all(1, buf, (size_t)n + 4) < 0) return 0;
    }
    if (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t n = read(0, buf, 8192);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) { shutdown(s, SHUT_WR); fds[1].fd = -1; continue; }
      if (send(s, buf, (size_t)n, 0) < 0) return 0;
    }
  }
}
