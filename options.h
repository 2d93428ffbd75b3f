/* options.h - limits and build switches of tinyqga, in one place.
 *
 * Every limit is qemu-ga's value unless the comment says why it differs.
 * Command groups are not switched here: `make CMDS="core ..."` picks the
 * files of cmds/ to compile, and the build writes build/config.h with
 * HAVE_<GROUP> 1 or 0 for each group, so code that depends on a group
 * tests `#if HAVE_X` and a misspelt switch fails the build.
 * Byte costs of each group are printed by `make size`.
 */
#ifndef TINYQGA_OPTIONS_H
#define TINYQGA_OPTIONS_H

/* tinyqga's own version (-V's second line, -h, packages).  What hosts see
 * in guest-info is QGA_VERSION, the qemu-ga one, set by make (config.h). */
#define TINYQGA_VERSION "0.1.0"

/* JSON limits per top-level value, as qobject/json-streamer.c. */
#define JSON_MAX_TOKEN_SIZE (64u << 20)   /* bytes of token text */
#define JSON_MAX_TOKEN_COUNT (2u << 20)   /* tokens */
#define JSON_MAX_NESTING 1024             /* open { plus [ at once */

/* Bytes taken from the channel per read, as QGA_READ_COUNT_DEFAULT. */
#define READ_CHUNK 4096

/* Replies are assembled here and written when it fills or when the input
 * read so far is consumed; a reply larger than this is streamed through
 * it, so memory does not grow with the size of a reply. */
#define OUT_BUF_SIZE 16384

/* A host that stops reading: after this long without any byte accepted by
 * the channel the reply is abandoned (and a socket client dropped).
 * qemu-ga retries forever in a busy loop instead. */
#define OUT_STALL_MS 10000
/* ... and a host that reads, but slowly, gets OUT_STALL_MS plus one second
 * per OUT_MIN_RATE bytes for the whole reply: the loop (SIGTERM, exec
 * pipes, the freeze's auto-thaw) waits while a reply is written, so the
 * largest reply (64 MiB of base64) holds it at most 74 s.  qemu-ga has no
 * bound: a host draining a few bytes at a time holds it for good. */
#define OUT_MIN_RATE (1u << 20)

/* virtio-serial with no host attached: the port reports POLLHUP without
 * pause, so it is not polled; SIGIO (F_SETOWN + O_ASYNC) tells when the host
 * returns, and this slow timer re-checks in case a signal was missed.
 * qemu-ga sleeps 100 ms and polls again, 10 wakeups a second. */
#define HOST_ABSENT_RECHECK_MS 1000
/* accept4 out of descriptors or memory leaves the listener readable:
 * pause this long instead of spinning on it. */
#define ACCEPT_BACKOFF_MS 200

/* guest-exec children's pipes watched at once (3 per child). */
#define POLL_CHILD_FDS (3 * 256)

/* guest-file-*: handles open at once (qemu-ga: no bound but RLIMIT_NOFILE,
 * which then also starves its channel and children); the next open fails
 * as EMFILE.  Reads: qemu-ga's GUEST_FILE_READ_COUNT_MAX. */
#define FILE_HANDLES_MAX 1024
#define FILE_READ_COUNT_MAX (48u << 20)
/* Descriptors handles may never take, so that a host holding many cannot
 * starve what the agent needs: every exec child's 3 pipes, a helper's, the
 * state file's temporary copy, a reconnecting client, /proc/self/fd.  The
 * soft RLIMIT_NOFILE is raised toward the hard one to make room first. */
#define FILE_FD_RESERVE (3 * EXEC_CHILDREN_MAX + 64)

/* guest-exec: children running or exited with their status not read yet
 * (qemu-ga: no bound); each holds 3 pipes, see POLL_CHILD_FDS.  Captured
 * output per stream, as qemu-ga's GUEST_EXEC_MAX_OUTPUT; the rest is read
 * and dropped so the child can finish. */
#define EXEC_CHILDREN_MAX 256
#define EXEC_OUTPUT_MAX (16u << 20)
/* All children's captured output and held input-data together: 256
 * children could otherwise hold 256 x (2 x 16 + 48) MiB, 20 GiB.  Output
 * past it is dropped and marked truncated, as past EXEC_OUTPUT_MAX; an
 * exec whose input-data does not fit is refused.  qemu-ga has no bound. */
#define EXEC_TOTAL_MAX (256u << 20)

/* Programs the agent waits for (chpasswd, hwclock, shutdown, systemctl):
 * each returns within about a second, so after this the helper's process
 * group is killed and the command fails; the agent answers again.
 * qemu-ga waits forever.  The fsfreeze hook flushes databases and may
 * take minutes: it gets the longer bound. */
#define HELPER_TIMEOUT_MS 10000
#define HELPER_HOOK_TIMEOUT_MS 600000
/* Of a helper's output, kept for the error text. */
#define HELPER_OUTPUT_MAX 4096

/* guest-set-user-password: plaintext longer than this is refused, as
 * libxcrypt refuses CRYPT_MAX_PASSPHRASE_SIZE (512, with the NUL): the
 * cost of SHA-512 crypt grows with the square of the length (64 KiB took
 * 13 s of the one loop).  qemu-ga has no bound; its chpasswd then fails. */
#define PASSWORD_MAX 511

/* guest-ssh-add/remove-authorized-keys: keys per request.  Each is
 * compared with every line of the file (at most 1 MiB), so the time grows
 * with keys times lines: 40,000 keys took 6.5 s of the one loop, and
 * 2048 against a 1 MiB file of short lines 5.4 s; 256 stay under 1 s.  qemu-ga
 * has no bound. */
#define SSH_KEYS_MAX 256

/* Default channel, as qemu-ga on Linux. */
#define DEFAULT_METHOD "virtio-serial"
#define DEFAULT_VIRTIO_PATH "/dev/virtio-ports/org.qemu.guest_agent.0"
#define DEFAULT_ISA_PATH "/dev/ttyS0"
#define DEFAULT_STATEDIR "/var/run"
#define DEFAULT_PIDFILE "/var/run/qemu-ga.pid"
#define DEFAULT_CONFIG "/etc/qemu/qemu-ga.conf"	/* unless $QGA_CONF */
#define DEFAULT_FSFREEZE_HOOK "/etc/qemu/fsfreeze-hook"	/* bare -F */

/* The -l file is truncated when it would grow past this, then goes on
 * with a line saying so: a flood of errors cannot fill the disk (the
 * initramfs packages log to /run, which is RAM), and the newest lines are
 * the ones kept.  About 40,000 lines.  qemu-ga's log grows without bound. */
#define LOG_FILE_MAX (4 << 20)

/* Peers of the listening channels.  vsock-listen trusts the host, whose
 * CID is always VMADDR_CID_HOST from inside a guest; unix-listen trusts
 * root and the agent's own euid (SO_PEERCRED).  --peer-cids, --peer-uids
 * and --peer-gids add numbers to these; each list holds at most this many
 * (a fixed array: the lists are read before anything can be freed). */
#define PEER_TRUSTED_CID 2
#define PEER_LIST_MAX 64

/* -r: reopen a failed channel after this, doubling up to the maximum
 * (qemu-ga waits a flat 5 s, QGA_RETRY_INTERVAL). */
#define RETRY_FIRST_MS 100
#define RETRY_MAX_MS 5000

/* systemd socket activation: with LISTEN_PID our pid and LISTEN_FDS 1,
 * the listening channel is this descriptor (SD_LISTEN_FDS_START), as in
 * qemu-ga since 2.9; more than one descriptor is refused, as qemu-ga. */
#define LISTEN_FDS_START 3
#define LISTEN_FDS_MAX 1
/* An inherited socket's address, for messages: a unix path (108 bytes of
 * sun_path, '@' before an abstract name) or vsock's CID:PORT. */
#define PORT_NAME_MAX 112

#endif
