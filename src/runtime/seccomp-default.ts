/**
 * hako's default seccomp profile: an allow-list, everything else fails with EPERM.
 * It follows the facts of docker's default (what a Docker user's programs expect to
 * work) and is written here as docker-format rules, so the same converter that reads
 * a user's `seccomp=FILE` turns it into linux.seccomp for the container's capabilities:
 *
 * - never allowed: keyctl, add_key, request_key (the kernel keyring is not namespaced),
 *   kexec_load/kexec_file_load, userfaultfd, io_uring_*, pivot_root, swapon/swapoff, ...
 * - allowed only with the capability that makes them useful: CAP_SYS_ADMIN unlocks
 *   mount/umount2/unshare/setns/the new mount API/clone with CLONE_NEW* flags/bpf/
 *   perf_event_open; CAP_SYS_MODULE the module calls; CAP_SYS_BOOT reboot;
 *   CAP_SYS_TIME the clock setters; CAP_SYS_PTRACE kcmp/pidfd_getfd; ...
 * - clone3 answers ENOSYS without CAP_SYS_ADMIN (its flags sit in memory a filter
 *   cannot read), so glibc falls back to clone, whose flags the filter checks.
 */
import type { DockerSeccompProfile, DockerSyscall, OciSeccomp } from './seccomp-types.js';
import { convertProfile } from './seccomp-docker.js';

const EPERM = 1;
const ENOSYS = 38;
/** CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET. */
export const CLONE_NEW_FLAGS = 0x00020000 | 0x02000000 | 0x04000000 | 0x08000000 | 0x10000000 | 0x20000000 | 0x40000000;
const AF_VSOCK = 40;

const w = (s: string) => s.trim().split(/\s+/);

/** Syscalls any process may make, grouped by what they touch. */
const ALLOWED: Record<string, string[]> = {
  fileIo: w(`open openat openat2 creat close close_range read readv pread64 preadv preadv2 write writev pwrite64
    pwritev pwritev2 lseek _llseek sendfile sendfile64 splice tee vmsplice copy_file_range readahead fadvise64
    fadvise64_64 fallocate truncate truncate64 ftruncate ftruncate64 fsync fdatasync sync syncfs sync_file_range
    flock fcntl fcntl64 dup dup2 dup3 pipe pipe2 ioctl`),
  fileMeta: w(`access faccessat faccessat2 stat stat64 lstat lstat64 fstat fstat64 fstatat64 newfstatat statx statfs
    statfs64 fstatfs fstatfs64 chmod fchmod fchmodat fchmodat2 chown chown32 fchown fchown32 fchownat lchown lchown32
    utime utimes utimensat utimensat_time64 futimesat umask readlink readlinkat getdents getdents64 getcwd chdir fchdir
    name_to_handle_at`),
  fileTree: w('link linkat symlink symlinkat unlink unlinkat rename renameat renameat2 mkdir mkdirat rmdir mknod mknodat'),
  xattr: w(`getxattr lgetxattr fgetxattr getxattrat listxattr llistxattr flistxattr listxattrat setxattr lsetxattr
    fsetxattr setxattrat removexattr lremovexattr fremovexattr removexattrat`),
  waiting: w(`select _newselect pselect6 pselect6_time64 poll ppoll ppoll_time64 epoll_create epoll_create1 epoll_ctl
    epoll_ctl_old epoll_wait epoll_wait_old epoll_pwait epoll_pwait2 eventfd eventfd2 signalfd signalfd4
    timerfd_create timerfd_settime timerfd_settime64 timerfd_gettime timerfd_gettime64 inotify_init inotify_init1
    inotify_add_watch inotify_rm_watch fanotify_mark io_setup io_destroy io_submit io_cancel io_getevents
    io_pgetevents io_pgetevents_time64 futex futex_time64 futex_wait futex_wake futex_waitv futex_requeue`),
  memory: w(`brk mmap mmap2 munmap mremap mprotect madvise mincore mlock mlock2 mlockall munlock munlockall msync
    remap_file_pages membarrier memfd_create memfd_secret pkey_alloc pkey_free pkey_mprotect map_shadow_stack mseal
    cachestat process_mrelease`),
  process: w(`fork vfork execve execveat exit exit_group wait4 waitid waitpid kill tkill tgkill getpid getppid gettid
    getpgid setpgid getpgrp getsid setsid set_tid_address set_robust_list get_robust_list rseq restart_syscall prctl
    pidfd_open pidfd_send_signal seccomp set_thread_area get_thread_area uretprobe riscv_hwprobe`),
  /** ptrace and the process_vm calls are safe since kernel 4.8 (seccomp is checked after a tracer's changes). */
  tracing: w('ptrace process_vm_readv process_vm_writev'),
  credentials: w(`getuid getuid32 geteuid geteuid32 getgid getgid32 getegid getegid32 getresuid getresuid32 getresgid
    getresgid32 getgroups getgroups32 setuid setuid32 setgid setgid32 setreuid setreuid32 setregid setregid32 setresuid
    setresuid32 setresgid setresgid32 setfsuid setfsuid32 setfsgid setfsgid32 setgroups setgroups32 capget capset`),
  scheduling: w(`getrlimit ugetrlimit setrlimit prlimit64 getrusage getpriority setpriority ioprio_get ioprio_set
    sched_yield sched_getaffinity sched_setaffinity sched_getparam sched_setparam sched_getscheduler
    sched_setscheduler sched_getattr sched_setattr sched_get_priority_max sched_get_priority_min sched_rr_get_interval
    sched_rr_get_interval_time64 getcpu`),
  signals: w(`rt_sigaction rt_sigprocmask rt_sigpending rt_sigsuspend rt_sigtimedwait rt_sigtimedwait_time64
    rt_sigqueueinfo rt_tgsigqueueinfo rt_sigreturn sigreturn sigaltstack sigprocmask pause alarm`),
  clocks: w(`time gettimeofday clock_gettime clock_gettime64 clock_getres clock_getres_time64 clock_nanosleep
    clock_nanosleep_time64 nanosleep times getitimer setitimer timer_create timer_delete timer_settime timer_settime64
    timer_gettime timer_gettime64 timer_getoverrun adjtimex clock_adjtime clock_adjtime64`),
  sockets: w(`socketpair bind connect listen accept accept4 getsockname getpeername getsockopt setsockopt shutdown send
    sendto sendmsg sendmmsg recv recvfrom recvmsg recvmmsg recvmmsg_time64 socketcall`),
  ipc: w(`ipc msgget msgsnd msgrcv msgctl semget semop semtimedop semtimedop_time64 semctl shmget shmat shmdt shmctl
    mq_open mq_unlink mq_timedsend mq_timedsend_time64 mq_timedreceive mq_timedreceive_time64 mq_notify mq_getsetattr`),
  system: w('uname sysinfo getrandom listmount statmount landlock_create_ruleset landlock_add_rule landlock_restrict_self'),
};

/** Syscalls a capability unlocks (the kernel checks that capability inside them anyway). */
const BY_CAP: Record<string, string[]> = {
  CAP_SYS_ADMIN: w(`mount umount umount2 unshare setns clone clone3 fsopen fsconfig fsmount fspick move_mount open_tree
    mount_setattr sethostname setdomainname quotactl quotactl_fd lookup_dcookie fanotify_init bpf perf_event_open syslog
    lsm_get_self_attr lsm_set_self_attr lsm_list_modules`),
  CAP_DAC_READ_SEARCH: ['open_by_handle_at'],
  CAP_SYS_BOOT: ['reboot'],
  CAP_SYS_CHROOT: ['chroot'],
  CAP_SYS_MODULE: w('init_module finit_module delete_module'),
  CAP_SYS_PACCT: ['acct'],
  CAP_SYS_PTRACE: w('kcmp pidfd_getfd process_madvise'),
  CAP_SYS_RAWIO: w('iopl ioperm'),
  CAP_SYS_TIME: w('settimeofday stime clock_settime clock_settime64'),
  CAP_SYS_TTY_CONFIG: ['vhangup'],
  CAP_SYS_NICE: w('get_mempolicy mbind set_mempolicy set_mempolicy_home_node'),
  CAP_SYSLOG: ['syslog'],
  CAP_BPF: ['bpf'],
  CAP_PERFMON: ['perf_event_open'],
};

/** Syscalls only some architectures have. */
const BY_ARCH: [string[], string[]][] = [
  [['amd64', 'x32'], ['arch_prctl']],
  [['amd64', 'x32', 'x86'], ['modify_ldt']],
  [['arm', 'arm64'], w('arm_fadvise64_64 arm_sync_file_range sync_file_range2 breakpoint cacheflush set_tls')],
  [['ppc64le'], w('sync_file_range2 swapcontext')],
  [['s390', 's390x'], w('s390_pci_mmio_read s390_pci_mmio_write s390_runtime_instr')],
  [['riscv64'], ['riscv_flush_icache']],
];

/** personality(2) values that change nothing dangerous: Linux, 32-bit Linux, UNAME26 of each, and the query. */
const PERSONALITIES = [0x0, 0x8, 0x20000, 0x20008, 0xffffffff];

const allow = (names: string[], extra: Partial<DockerSyscall> = {}): DockerSyscall => ({ names, action: 'SCMP_ACT_ALLOW', ...extra });

function rules(): DockerSyscall[] {
  const out: DockerSyscall[] = [allow(Object.values(ALLOWED).flat())];
  out.push(allow(['socket'], { args: [{ index: 0, value: AF_VSOCK, op: 'SCMP_CMP_NE' }] }));
  for (const p of PERSONALITIES) out.push(allow(['personality'], { args: [{ index: 0, value: p, op: 'SCMP_CMP_EQ' }] }));
  for (const [arches, names] of BY_ARCH) out.push(allow(names, { includes: { arches } }));
  for (const [cap, names] of Object.entries(BY_CAP)) out.push(allow(names, { includes: { caps: [cap] } }));
  // Without CAP_SYS_ADMIN: clone without any CLONE_NEW* flag (flags are argument 0, 1 on s390).
  const noNewNs = (index: number) => [{ index, value: CLONE_NEW_FLAGS, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }];
  out.push(allow(['clone'], { args: noNewNs(0), excludes: { caps: ['CAP_SYS_ADMIN'], arches: ['s390', 's390x'] } }));
  out.push(allow(['clone'], { args: noNewNs(1), includes: { arches: ['s390', 's390x'] }, excludes: { caps: ['CAP_SYS_ADMIN'] } }));
  out.push({ names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: ENOSYS, excludes: { caps: ['CAP_SYS_ADMIN'] } });
  return out;
}

/** The default profile in docker's format (JSON.stringify gives a file `--security-opt seccomp=FILE` accepts). */
export const DEFAULT_PROFILE: DockerSeccompProfile = {
  defaultAction: 'SCMP_ACT_ERRNO',
  defaultErrnoRet: EPERM,
  archMap: [
    { architecture: 'SCMP_ARCH_X86_64', subArchitectures: ['SCMP_ARCH_X86', 'SCMP_ARCH_X32'] },
    { architecture: 'SCMP_ARCH_AARCH64', subArchitectures: ['SCMP_ARCH_ARM'] },
    { architecture: 'SCMP_ARCH_PPC64LE', subArchitectures: [] },
    { architecture: 'SCMP_ARCH_S390X', subArchitectures: ['SCMP_ARCH_S390'] },
    { architecture: 'SCMP_ARCH_RISCV64', subArchitectures: [] },
  ],
  syscalls: rules(),
};

const cache = new Map<string, OciSeccomp>();

/** linux.seccomp of the default profile for a container with bounding capabilities `caps` (shared: do not modify). */
export function profileFor(caps: readonly string[], arch: string, kernel?: string): OciSeccomp {
  const key = `${arch}|${kernel ?? ''}|${[...caps].sort().join(',')}`;
  let p = cache.get(key);
  if (!p) {
    p = convertProfile(DEFAULT_PROFILE, { caps, arch, kernel })!;
    if (cache.size > 64) cache.clear();
    cache.set(key, p);
  }
  return p;
}
