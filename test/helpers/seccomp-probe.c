/*
 * Seccomp probe for test/containers-security.test.ts: makes each named syscall with
 * harmless arguments (never one that could change the host if it succeeded) and
 * prints "name=0" on success or "name=<errno>" on failure, one a line.
 * Built static by the test so it runs in the busybox image.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_clone3
#define SYS_clone3 435
#endif

static long probe(const char *name) {
  if (!strcmp(name, "keyctl")) return syscall(SYS_keyctl, 0 /* GET_KEYRING_ID */, -3 /* session */, 0);
  if (!strcmp(name, "add_key")) return syscall(SYS_add_key, "", "k", "v", 1, -2);
  if (!strcmp(name, "request_key")) return syscall(SYS_request_key, "user", "hako-no-such-key", NULL, 0);
  if (!strcmp(name, "bpf")) return syscall(SYS_bpf, 9999, NULL, 0);
  if (!strcmp(name, "perf_event_open")) return syscall(SYS_perf_event_open, NULL, 0, -1, -1, 0);
  if (!strcmp(name, "setns")) return syscall(SYS_setns, -1, 0);
  if (!strcmp(name, "clone3")) return syscall(SYS_clone3, NULL, 0);
  if (!strcmp(name, "personality")) return syscall(SYS_personality, 0xffffffffUL) < 0 ? -1 : syscall(SYS_personality, 0x0040000UL /* ADDR_NO_RANDOMIZE */);
  if (!strcmp(name, "vsock")) { long fd = socket(40 /* AF_VSOCK */, SOCK_STREAM, 0); if (fd >= 0) close(fd); return fd; }
  if (!strcmp(name, "getpid")) return syscall(SYS_getpid);
  errno = ENOENT;
  return -2;
}

int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    errno = 0;
    long r = probe(argv[i]);
    printf("%s=%d\n", argv[i], r < 0 ? errno : 0);
  }
  return 0;
}
