# Command profiles for `make PROFILE=name`: the qemu-ga command names each
# kind of image needs.  guest-sync-delimited, guest-sync, guest-ping and
# guest-info (the core group) are in every build.  Each host profile names,
# beside the commands, the caller in that host's source that sends them;
# tests/hosts.py builds each one and plays that caller against it.

# "Show my IP and shut me down": an appliance or initramfs.
PROFILE_minimal = guest-shutdown guest-network-get-interfaces guest-get-osinfo

# Proxmox VE (qemu-server, src/PVE/...).
PROFILE_proxmox = \
	guest-get-time guest-network-get-interfaces guest-get-vcpus \
	guest-get-fsinfo guest-get-memory-blocks guest-get-memory-block-info \
	guest-get-host-name guest-get-osinfo guest-get-users guest-get-timezone \
	guest-fsfreeze-status guest-fsfreeze-freeze guest-fsfreeze-thaw \
	guest-fstrim \
	guest-suspend-hybrid guest-suspend-ram guest-suspend-disk \
	guest-shutdown \
	guest-exec guest-exec-status \
	guest-file-open guest-file-read guest-file-seek guest-file-close \
	guest-file-write \
	guest-set-user-password
#  - `qm guest cmd VMID NAME` and GET/POST .../agent/NAME: every name in
#    API2/Qemu/Agent.pm $guest_agent_commands (ping, info are core), from
#    get-time to get-timezone above; pve-manager's GUI reads its summary
#    (IPs, OS, host name, file systems) through these.
#  - backups and snapshots: QemuServer/Agent.pm guest_fs_freeze() (freeze,
#    then status while the freeze call times out) and guest_fs_thaw(), from
#    VZDump/QemuServer.pm qga_fs_freeze()/qga_fs_thaw(), QemuConfig.pm
#    __snapshot_freeze and BlockJob.pm (mirror); guest_fs_is_frozen() polls
#    the status.
#  - guest-fstrim: API2/Qemu.pm after a disk move/clone with
#    agent fstrim_cloned_disks=1, and QemuMigrate.pm after migration.
#  - guest-shutdown: QemuServer.pm vm_stop() (`qm shutdown`) with the agent
#    enabled; suspend-*: `qm guest cmd` (QMPClient.pm waits for none to reply).
#  - exec, exec-status: QemuServer/Agent.pm qemu_exec()/qemu_exec_status()
#    for `qm guest exec` (CLI/qm.pm polls until exited) and the API.
#  - file-open/-read/-seek/-close: Agent.pm file-read (seek for offset);
#    file-open/-write/-close: Agent.pm file-write.
#  - guest-set-user-password: `qm guest passwd` (Agent.pm set-user-password).

# KubeVirt (kubevirt/kubevirt, pkg/...).
PROFILE_kubevirt = \
	guest-get-time guest-shutdown guest-network-get-interfaces \
	guest-get-fsinfo guest-get-host-name guest-get-users guest-get-timezone \
	guest-get-osinfo \
	guest-fsfreeze-status guest-fsfreeze-freeze guest-fsfreeze-thaw \
	guest-get-load \
	guest-exec guest-exec-status \
	guest-set-time \
	guest-ssh-get-authorized-keys guest-ssh-add-authorized-keys \
	guest-ssh-remove-authorized-keys guest-set-user-password \
	guest-get-cpustats guest-get-diskstats guest-get-vcpus \
	guest-get-memory-block-info guest-get-memory-blocks guest-get-disks \
	guest-network-get-route
#  - guest-get-time ... guest-get-osinfo (with core guest-ping, guest-info):
#    virt-handler/guestagent.go requiredGuestAgentCommands; unless guest-info
#    lists all ten enabled the VMI gets no AgentConnected condition.
#    virt-launcher/virtwrap/agent-poller/agent_poller.go CreatePoller polls
#    guest-info and guest-get-fsinfo (300 s) and, through libvirt's
#    virDomainGetGuestInfo, interfaces/osinfo/host-name/timezone (120 s) and
#    users (10 s).  guest-shutdown: manager.go (libvirt shutdown, and
#    SoftRebootVMI's reboot with DOMAIN_REBOOT_GUEST_AGENT).
#  - fsfreeze-status: agent_poller.go every 5 s (qemu-fsfreeze-status-
#    interval); freeze/thaw: virtwrap/storage/fsfreeze.go FreezeVMI/
#    UnfreezeVMI (status first, then libvirt FSFreeze/FSThaw), for online
#    snapshots, virt-freezer and backups.
#  - guest-get-load: agent_poller.go, GetGuestInfo(DOMAIN_GUEST_INFO_LOAD)
#    every 120 s.
#  - exec, exec-status: virtwrap/agent/exec.go GuestExec, for exec probes
#    (cmd/virt-probe -> cmd-server Exec) and access-credentials helpers.
#  - guest-set-time: manager.go setGuestTime (libvirt SetTime with the
#    host's time) after UnpauseVMI and live-migration-target.go.
#  - ssh-*, set-user-password: guestagent.go sshRelated/passwordRelated
#    lists, checked when the VMI has qemuGuestAgent access credentials;
#    sent by access-credentials/access_credentials.go (libvirt
#    AuthorizedSSHKeysSet, SetUserPassword).
#  - cpustats ... network-get-route, plus get-load, get-time, users,
#    osinfo, host-name, timezone, interfaces: the VMStatsCollector
#    (cmd-server/vmstats.go agentDataFields, manager.go agentDataCommandTTLs).

# libvirt (src/qemu/qemu_agent.c): what the qemu driver sends for virsh's
# agent-backed commands (not qemu-agent-command, which passes anything).
PROFILE_libvirt = \
	guest-shutdown \
	guest-fsfreeze-freeze guest-fsfreeze-freeze-list guest-fsfreeze-thaw \
	guest-fstrim \
	guest-suspend-ram guest-suspend-disk guest-suspend-hybrid \
	guest-get-vcpus guest-set-vcpus \
	guest-get-time guest-set-time \
	guest-get-fsinfo guest-network-get-interfaces \
	guest-set-user-password \
	guest-get-users guest-get-osinfo guest-get-timezone guest-get-host-name \
	guest-get-disks guest-get-load \
	guest-ssh-get-authorized-keys guest-ssh-add-authorized-keys \
	guest-ssh-remove-authorized-keys
#  - guest-sync (core): before every command.  guest-shutdown: shutdown and
#    reboot --mode agent (the default when an agent is connected).
#  - fsfreeze-freeze(-list with --mountpoint)/-thaw: domfsfreeze, domfsthaw,
#    snapshot-create --quiesce.  guest-fstrim: domfstrim.
#  - suspend-*: dompmsuspend.  get/set-vcpus: guestvcpus, setvcpus --guest.
#  - get-time/set-time: domtime (--now, --sync, --time).
#  - get-fsinfo: domfsinfo.  network-get-interfaces: domifaddr --source
#    agent.  set-user-password: set-user-password.
#  - users, osinfo, timezone, host-name, fsinfo, disks, interfaces, load:
#    guestinfo (virDomainGetGuestInfo); host-name also domhostname.
#  - ssh-*: get-user-sshkeys, set-user-sshkeys (--append, --remove).

# Every command tinyqga has.
PROFILE_full =

PROFILES = minimal proxmox kubevirt libvirt full
