/*
 * hako-spawn: a small, long-lived process that forks and execs commands on behalf of
 * hakod. Forking the daemon (a ~60 MiB Node process) costs milliseconds of page-table
 * copying per spawn and blocks its event loop; forking this helper costs microseconds.
 *
 * Protocol on stdin (requests) and stdout (replies), frames of:
 *   u32 length (of what follows, little endian) | u8 type | u32 child id | payload
 * Requests:
 *   'S' spawn: u8 mode[4] (fd 0..3: 0 /dev/null, 1 pipe, 2 closed), u8 setsid,
 *       cwd\0, u32 argc, argv\0 x argc, u32 envc, env\0 x envc
 *   'I' stdin data for the child (empty payload: close its stdin)
 *   'K' u32 signal to the child
 *   'M' mount(2): u32 flags, source\0 target\0 fstype\0 data\0
 *   'U' umount2(2): u32 flags, target\0
 *   'C' host clean-up at idle priority: u32 0, then ops of u8 op + path\0, run in order:
 *       'u' umount2(MNT_DETACH), 'c' rmdir of a cgroup dir and its sub-cgroups,
 *       'r' recursive removal (not crossing into other mounts); a missing path is no error
 *   'F' sealed copy of an executable: u32 0, path\0. The helper copies the file into a
 *       memfd sealed against any change and keeps it open for its lifetime; the reply 'R'
 *       carries the fd number (> 0; exec it as /proc/<helper pid>/fd/<n>) or -errno
 * Replies:
 *   'P' u32 pid (spawned) | 'E' i32 errno + message (could not spawn)
 *   'O' u8 fd + data (output; empty data: EOF of that fd)
 *   'X' i32 wait status (the child exited)
 *   'R' i32 errno of a 'M', 'U' or 'C' request (0: done; 'C': the first failure); the id is the request's
 * The helper exits when its stdin closes (the daemon is gone); children live on.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAXC 1024
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

struct child {
  uint32_t id;
  pid_t pid;
  int out[4];      /* our read ends of fds 1..3 (index = fd), -1 when closed */
  int in;          /* our write end of the child's stdin, -1 when closed */
  char *inbuf;     /* stdin bytes not yet written */
  size_t inlen;
  int inclose;     /* close stdin once inbuf is drained */
  int exited;
  int call;        /* a forked mount/umount: its exit status is the errno, replied as 'R' */
};

static struct child kids[MAXC];
static int nkids;

static void die(const char *m) { perror(m); exit(1); }

static void put(const void *p, size_t n) {
  const char *c = p;
  while (n) {
    ssize_t w = write(1, c, n);
    if (w < 0) { if (errno == EINTR) continue; exit(0); }
    c += w; n -= (size_t)w;
  }
}

static void reply(char type, uint32_t id, const void *a, size_t na, const void *b, size_t nb) {
  uint32_t len = (uint32_t)(1 + 4 + na + nb);
  char hdr[9];
  memcpy(hdr, &len, 4); hdr[4] = type; memcpy(hdr + 5, &id, 4);
  put(hdr, 9);
  if (na) put(a, na);
  if (nb) put(b, nb);
}

static struct child *find(uint32_t id) {
  for (int i = 0; i < nkids; i++) if (kids[i].id == id) return &kids[i];
  return NULL;
}

static int done(struct child *k) {
  return k->exited && k->out[1] < 0 && k->out[2] < 0 && k->out[3] < 0;
}

static void drop(struct child *k) {
  if (k->in >= 0) close(k->in);
  free(k->inbuf);
  *k = kids[--nkids];
}

/* execvpe with the PATH of the child's environment (as libuv does), not ours. */
static void exec_path(char **argv, char **envp) {
  const char *path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  for (char **e = envp; *e; e++) if (!strncmp(*e, "PATH=", 5)) path = *e + 5;
  if (strchr(argv[0], '/')) { execve(argv[0], argv, envp); return; }
  int err = ENOENT;
  char buf[4096];
  for (const char *p = path; ; ) {
    const char *q = strchrnul(p, ':');
    snprintf(buf, sizeof buf, "%.*s/%s", (int)(q - p), q == p ? "." : p, argv[0]);
    execve(buf, argv, envp);
    if (errno != ENOENT && errno != ENOTDIR) err = errno;
    if (!*q) break;
    p = q + 1;
  }
  errno = err;
}

static void child_fd(int src, int target) {
  if (src == target) fcntl(src, F_SETFD, 0);
  else if (dup2(src, target) < 0) _exit(127);
}

static void spawn(uint32_t id, const char *p, const char *end) {
  if (end - p < 6 || nkids >= MAXC) { int e = EINVAL; reply('E', id, &e, 4, "bad request", 11); return; }
  unsigned char mode[4]; memcpy(mode, p, 4); int sid = p[4]; p += 5;
  const char *cwd = p; p += strlen(p) + 1;
  uint32_t argc; memcpy(&argc, p, 4); p += 4;
  char **argv = calloc(argc + 1, sizeof *argv);
  for (uint32_t i = 0; i < argc; i++) { argv[i] = (char *)p; p += strlen(p) + 1; }
  uint32_t envc; memcpy(&envc, p, 4); p += 4;
  char **envp = calloc(envc + 1, sizeof *envp);
  for (uint32_t i = 0; i < envc; i++) { envp[i] = (char *)p; p += strlen(p) + 1; }

  int ends[4][2], status[2];
  for (int f = 0; f < 4; f++) {
    ends[f][0] = ends[f][1] = -1;
    if (mode[f] == 1 && pipe2(ends[f], O_CLOEXEC) < 0) die("pipe2");
  }
  if (pipe2(status, O_CLOEXEC) < 0) die("pipe2");
  pid_t pid = fork();
  if (pid < 0) die("fork");
  if (pid == 0) {
    sigset_t none; sigemptyset(&none); sigprocmask(SIG_SETMASK, &none, NULL);
    signal(SIGPIPE, SIG_DFL);
    if (sid) setsid();
    int null = open("/dev/null", O_RDWR | O_CLOEXEC);
    int src[4];
    for (int f = 0; f < 4; f++) src[f] = mode[f] == 1 ? ends[f][f == 0 ? 0 : 1] : mode[f] == 0 ? null : -1;
    /* move sources above 3 first so a dup2 cannot clobber one still needed */
    for (int f = 0; f < 4; f++) if (src[f] >= 0 && src[f] <= 3) src[f] = fcntl(src[f], F_DUPFD_CLOEXEC, 10);
    for (int f = 0; f < 4; f++) { if (src[f] >= 0) child_fd(src[f], f); else close(f); }
    /* nothing else past exec: not even what the daemon inherited without FD_CLOEXEC */
    close_range(4, ~0U, CLOSE_RANGE_CLOEXEC);
    if (*cwd && chdir(cwd) < 0) { int e = errno; if (write(status[1], &e, 4) < 0) {} _exit(127); }
    exec_path(argv, envp);
    int e = errno;
    if (write(status[1], &e, 4) < 0) {}
    _exit(127);
  }
  free(argv); free(envp);
  close(status[1]);
  for (int f = 0; f < 4; f++) if (ends[f][0] >= 0) close(ends[f][f == 0 ? 0 : 1]);
  int e = 0;
  ssize_t r;
  do r = read(status[0], &e, 4); while (r < 0 && errno == EINTR);
  close(status[0]);
  struct child *k = &kids[nkids++];
  memset(k, 0, sizeof *k);
  k->id = id; k->pid = pid; k->in = ends[0][1];
  for (int f = 1; f < 4; f++) k->out[f] = ends[f][0];
  k->out[0] = -1;
  if (k->in >= 0) fcntl(k->in, F_SETFL, O_NONBLOCK);
  if (r == 4) {
    const char *m = strerror(e);
    reply('E', id, &e, 4, m, strlen(m));
    for (int f = 1; f < 4; f++) if (k->out[f] >= 0) { close(k->out[f]); k->out[f] = -1; }
    k->exited = 1; /* reaped by the SIGCHLD loop; dropped once waited */
    k->id = 0;
  } else {
    uint32_t p32 = (uint32_t)pid;
    reply('P', id, &p32, 4, NULL, 0);
  }
}

static void flush_stdin(struct child *k) {
  while (k->in >= 0 && k->inlen) {
    ssize_t w = write(k->in, k->inbuf, k->inlen);
    if (w < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) return;
      k->inlen = 0; break; /* EPIPE: the child closed its stdin */
    }
    memmove(k->inbuf, k->inbuf + w, k->inlen - (size_t)w);
    k->inlen -= (size_t)w;
  }
  if (k->in >= 0 && !k->inlen && k->inclose) { close(k->in); k->in = -1; }
}

/*
 * mount(2)/umount2(2) without exec'ing mount(8), in a forked child of this small process
 * (it shares the daemon's mount namespace): an overlay mount or a lazy unmount can take
 * tens of milliseconds in the kernel, and the loop here must keep serving spawns.
 */
static void mounts(char type, uint32_t id, const char *p, const char *end) {
  int e = EINVAL;
  if (end - p <= 4 || end[-1] != '\0' || nkids >= MAXC) { reply('R', id, &e, 4, NULL, 0); return; }
  uint32_t flags; memcpy(&flags, p, 4); p += 4;
  const char *a[4] = { "", "", "", "" };
  for (int i = 0; i < 4 && p < end; i++) { a[i] = p; p += strlen(p) + 1; }
  pid_t pid = fork();
  if (pid < 0) { e = errno; reply('R', id, &e, 4, NULL, 0); return; }
  if (pid == 0) {
    int r = type == 'M' ? mount(a[0], a[1], a[2], flags, *a[3] ? a[3] : NULL) : umount2(a[0], (int)flags);
    _exit(r < 0 ? (errno & 0xff) : 0);
  }
  struct child *k = &kids[nkids++];
  memset(k, 0, sizeof *k);
  k->id = id; k->pid = pid; k->in = -1; k->call = 1;
  for (int f = 0; f < 4; f++) k->out[f] = -1;
}

/*
 * Removes everything under the directory fd `dir` (then closed), without following
 * symlinks or entering another mount (st_dev differs). `cgroup`: only directories are
 * removed (cgroupfs control files go with their dir). Returns the first errno or 0.
 */
static int clear_dir(int dir, dev_t dev, int cgroup) {
  DIR *d = fdopendir(dir);
  if (!d) { int e = errno; close(dir); return e; }
  int err = 0;
  struct dirent *de;
  while ((de = readdir(d))) {
    const char *n = de->d_name;
    if (!strcmp(n, ".") || !strcmp(n, "..")) continue;
    int isdir = de->d_type == DT_DIR;
    if (de->d_type == DT_UNKNOWN) { struct stat st; isdir = !fstatat(dirfd(d), n, &st, AT_SYMLINK_NOFOLLOW) && S_ISDIR(st.st_mode); }
    if (!isdir) {
      if (!cgroup && unlinkat(dirfd(d), n, 0) < 0 && errno != ENOENT && !err) err = errno;
      continue;
    }
    int sub = openat(dirfd(d), n, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    struct stat st;
    if (sub < 0 || fstat(sub, &st) < 0 || st.st_dev != dev) { if (sub >= 0) close(sub); if (!err) err = EXDEV; continue; }
    int e = clear_dir(sub, dev, cgroup);
    if (unlinkat(dirfd(d), n, AT_REMOVEDIR) < 0 && errno != ENOENT && !e) e = errno;
    if (e && !err) err = e;
  }
  closedir(d);
  return err;
}

static int remove_path(const char *path, int cgroup) {
  int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return 0;
    if (cgroup || (errno != ENOTDIR && errno != ELOOP)) return errno;
    return unlink(path) < 0 && errno != ENOENT ? errno : 0;
  }
  struct stat st;
  if (fstat(fd, &st) < 0) { int e = errno; close(fd); return e; }
  int e = clear_dir(fd, st.st_dev, cgroup);
  if (rmdir(path) < 0 && errno != ENOENT && !e) e = errno;
  return e;
}

/*
 * A removed container's host clean-up in a forked child under SCHED_IDLE and idle I/O
 * priority: the unmount, cgroup rmdirs and file removals of many removals take CPU and
 * disk time that clients waiting on the daemon need more; run at idle priority, the
 * kernel gives them only what is left over. The reply comes when all is done.
 */
static void cleanup(uint32_t id, const char *p, const char *end) {
  int e = EINVAL;
  if (end - p < 4 || end[-1] != '\0' || nkids >= MAXC) { reply('R', id, &e, 4, NULL, 0); return; }
  p += 4;
  pid_t pid = fork();
  if (pid < 0) { e = errno; reply('R', id, &e, 4, NULL, 0); return; }
  if (pid == 0) {
    struct sched_param sp = { 0 };
    sched_setscheduler(0, SCHED_IDLE, &sp);
    syscall(SYS_ioprio_set, 1 /* IOPRIO_WHO_PROCESS */, 0, 3 << 13 /* IOPRIO_CLASS_IDLE */);
    int err = 0;
    while (p < end) {
      char op = *p++;
      const char *path = p;
      p += strlen(p) + 1;
      int r = 0;
      if (op == 'u') r = umount2(path, MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT ? errno : 0;
      else if (op == 'c') r = remove_path(path, 1);
      else if (op == 'r') r = remove_path(path, 0);
      else r = EINVAL;
      if (r && !err) err = r;
    }
    _exit(err & 0xff);
  }
  struct child *k = &kids[nkids++];
  memset(k, 0, sizeof *k);
  k->id = id; k->pid = pid; k->in = -1; k->call = 1;
  for (int f = 0; f < 4; f++) k->out[f] = -1;
}

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif
#ifndef F_SEAL_SEAL
#define F_ADD_SEALS 1033
#define F_SEAL_SEAL 0x0001
#define F_SEAL_SHRINK 0x0002
#define F_SEAL_GROW 0x0004
#define F_SEAL_WRITE 0x0008
#endif

/*
 * A sealed in-memory copy of an executable. crun (like runc) copies itself into such a
 * memfd and re-executes on every start unless /proc/self/exe already is one with exactly
 * the seals SEAL|SHRINK|GROW|WRITE (its CVE-2019-5736 protection): a container can never
 * write to the binary the host runs next. Executed from this copy, crun skips that copy
 * and the second exec, ~3 ms of CPU per call; the protection holds, the copy is sealed.
 */
static int sealed_copy(const char *path) {
  int src = open(path, O_RDONLY | O_CLOEXEC);
  if (src < 0) return -errno;
  struct stat st;
  int fd = fstat(src, &st) < 0 ? -1 : (int)syscall(SYS_memfd_create, "hako-sealed-exe", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
  if (fd < 0 && errno == EINVAL) fd = (int)syscall(SYS_memfd_create, "hako-sealed-exe", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0) { int e = errno; close(src); return -e; }
  off_t off = 0;
  while (off < st.st_size) {
    ssize_t n = sendfile(fd, src, &off, (size_t)(st.st_size - off));
    if (n <= 0) { int e = n < 0 ? errno : EIO; close(src); close(fd); return -e; }
  }
  close(src);
  if (fchmod(fd, 0755) < 0 || fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) < 0) {
    int e = errno; close(fd); return -e;
  }
  return fd;
}

static void request(char type, uint32_t id, const char *p, const char *end) {
  if (type == 'S') { spawn(id, p, end); return; }
  if (type == 'F') {
    int r = end - p > 4 && end[-1] == '\0' ? sealed_copy(p + 4) : -EINVAL;
    reply('R', id, &r, 4, NULL, 0);
    return;
  }
  if (type == 'M' || type == 'U') { mounts(type, id, p, end); return; }
  if (type == 'C') { cleanup(id, p, end); return; }
  struct child *k = find(id);
  if (!k) return;
  if (type == 'K' && end - p >= 4 && !k->exited) { uint32_t s; memcpy(&s, p, 4); kill(k->pid, (int)s); }
  if (type == 'I') {
    if (p == end) k->inclose = 1;
    else if (k->in >= 0) {
      k->inbuf = realloc(k->inbuf, k->inlen + (size_t)(end - p));
      memcpy(k->inbuf + k->inlen, p, (size_t)(end - p));
      k->inlen += (size_t)(end - p);
    }
    flush_stdin(k);
  }
}

static void reap(void) {
  int st;
  pid_t pid;
  while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
    for (int i = 0; i < nkids; i++) {
      if (kids[i].pid != pid) continue;
      kids[i].exited = 1;
      if (kids[i].call) { int e = WIFEXITED(st) ? WEXITSTATUS(st) : EINTR; reply('R', kids[i].id, &e, 4, NULL, 0); }
      else if (kids[i].id) reply('X', kids[i].id, &st, 4, NULL, 0);
      if (done(&kids[i])) drop(&kids[i]);
      break;
    }
  }
}

int main(void) {
  signal(SIGPIPE, SIG_IGN);
  sigset_t chld; sigemptyset(&chld); sigaddset(&chld, SIGCHLD);
  sigprocmask(SIG_BLOCK, &chld, NULL);
  int sfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
  if (sfd < 0) die("signalfd");
  fcntl(0, F_SETFD, FD_CLOEXEC); fcntl(1, F_SETFD, FD_CLOEXEC);
  size_t cap = 1 << 16, len = 0;
  char *buf = malloc(cap);
  static char data[65536];
  struct pollfd pf[2 + MAXC * 4];
  struct { int kid; int fd; } who[2 + MAXC * 4];
  for (;;) {
    int n = 0;
    pf[n].fd = 0; pf[n++].events = POLLIN;
    pf[n].fd = sfd; pf[n++].events = POLLIN;
    for (int i = 0; i < nkids; i++) {
      for (int f = 1; f < 4; f++) if (kids[i].out[f] >= 0) { who[n].kid = i; who[n].fd = f; pf[n].fd = kids[i].out[f]; pf[n++].events = POLLIN; }
      if (kids[i].in >= 0 && kids[i].inlen) { who[n].kid = i; who[n].fd = 0; pf[n].fd = kids[i].in; pf[n++].events = POLLOUT; }
    }
    if (poll(pf, (nfds_t)n, -1) < 0) { if (errno == EINTR) continue; die("poll"); }
    /* outputs first, then exits: a child's output frames precede its 'X' */
    for (int j = 2; j < n; j++) {
      if (!pf[j].revents) continue;
      struct child *k = &kids[who[j].kid];
      int f = who[j].fd;
      if (f == 0) { flush_stdin(k); continue; }
      ssize_t r = read(k->out[f], data, sizeof data);
      if (r < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      unsigned char fb = (unsigned char)f;
      if (r > 0) { reply('O', k->id, &fb, 1, data, (size_t)r); continue; }
      close(k->out[f]); k->out[f] = -1;
      reply('O', k->id, &fb, 1, NULL, 0);
    }
    /* drop finished children (indices move, so after the loop above) */
    for (int i = 0; i < nkids; ) { if (done(&kids[i])) drop(&kids[i]); else i++; }
    if (pf[1].revents) {
      struct signalfd_siginfo si;
      while (read(sfd, &si, sizeof si) > 0) {}
      reap();
    }
    if (pf[0].revents) {
      if (len == cap) buf = realloc(buf, cap *= 2);
      ssize_t r = read(0, buf + len, cap - len);
      if (r == 0) return 0;
      if (r < 0) { if (errno == EINTR || errno == EAGAIN) continue; return 0; }
      len += (size_t)r;
      size_t off = 0;
      while (len - off >= 4) {
        uint32_t fl; memcpy(&fl, buf + off, 4);
        if (fl < 5) return 1;
        if (len - off - 4 < fl) { if (fl + 4 > cap) buf = realloc(buf, cap = fl + 4 + cap); break; }
        uint32_t id; memcpy(&id, buf + off + 5, 4);
        request(buf[off + 4], id, buf + off + 9, buf + off + 4 + fl);
        off += 4 + fl;
      }
      memmove(buf, buf + off, len - off);
      len -= off;
    }
  }
}
