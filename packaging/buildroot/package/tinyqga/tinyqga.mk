################################################################################
#
# tinyqga
#
################################################################################

TINYQGA_VERSION = 0.1.0
# The source tree this br2-external sits in (packaging/buildroot).  In
# Buildroot proper this would be a release tarball's URL, with a
# tinyqga.hash beside this file.
TINYQGA_SITE = $(BR2_EXTERNAL_TINYQGA_PATH)/../..
TINYQGA_SITE_METHOD = local
TINYQGA_LICENSE = MIT
TINYQGA_LICENSE_FILES = LICENSE

TINYQGA_PROFILE = $(call qstrip,$(BR2_PACKAGE_TINYQGA_PROFILE))

# The Makefile's warnings without its -Werror: the target's compiler
# may be newer than the ones the project is tested with.
TINYQGA_MAKE_OPTS = \
	CC="$(TARGET_CC)" \
	CFLAGS="$(TARGET_CFLAGS)" \
	LDFLAGS="$(TARGET_LDFLAGS)" \
	WARN="-std=c11 -Wall -Wextra -Wundef -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64" \
	$(if $(TINYQGA_PROFILE),PROFILE=$(TINYQGA_PROFILE))

define TINYQGA_BUILD_CMDS
	$(TARGET_MAKE_ENV) $(MAKE) -C $(@D) $(TINYQGA_MAKE_OPTS) tinyqga
endef

define TINYQGA_INSTALL_TARGET_CMDS
	$(INSTALL) -D -m 0755 $(@D)/tinyqga $(TARGET_DIR)/usr/sbin/tinyqga
	ln -sf tinyqga $(TARGET_DIR)/usr/sbin/qemu-ga
endef

# busybox init and sysvinit: a start-stop-daemon script as Buildroot's own.
define TINYQGA_INSTALL_INIT_SYSV
	$(INSTALL) -D -m 0755 $(TINYQGA_PKGDIR)/S50tinyqga \
		$(TARGET_DIR)/etc/init.d/S50tinyqga
endef

# packaging/systemd's qemu-guest-agent.service (@SBINDIR@ filled in by
# the Makefile) and the udev rule that starts it when the port appears.
define TINYQGA_INSTALL_INIT_SYSTEMD
	$(TARGET_MAKE_ENV) $(MAKE) -C $(@D) install-units UNITS=systemd \
		PREFIX=/usr DESTDIR=$(TARGET_DIR)
	$(INSTALL) -D -m 0644 $(@D)/packaging/udev/qemu-guest-agent.rules \
		$(TARGET_DIR)/usr/lib/udev/rules.d/60-qemu-guest-agent.rules
endef

# packaging/openrc's /etc/init.d/tinyqga.
define TINYQGA_INSTALL_INIT_OPENRC
	$(TARGET_MAKE_ENV) $(MAKE) -C $(@D) install-units UNITS=openrc \
		PREFIX=/usr DESTDIR=$(TARGET_DIR)
endef

$(eval $(generic-package))
