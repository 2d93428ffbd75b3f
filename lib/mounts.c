/* mounts.c - see mounts.h. */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "mem.h"
#include "mounts.h"
#include "sysread.h"

#define STRINGS_MAX (256 * 1024)

/* \ooo octal escapes, as the kernel writes spaces, tabs, newlines and
 * backslashes in mount paths. */
static void unescape(char *s)
{
	char *w = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*w++ = (char)((s[1] - '0') << 6 | (s[2] - '0') << 3 | (s[3] - '0'));
			s += 3;
		} else {
			*w++ = *s;
		}
	}
	*w = 0;
}

static struct mounts list;

const struct mounts *mounts_read(void)
{
	struct mounts *ms = &list;
	struct lines *l = mem_alloc(sizeof(*l));
	size_t used = 0;
	char *line, *f[64];

	mounts_free();
	ms->strings = mem_alloc(STRINGS_MAX);
	if (!l || !ms->strings || !lines_open(l, "/proc/self/mountinfo")) {
		int e = errno;
		mem_free(l);
		mounts_free();
		errno = e;
		return NULL;
	}
	while ((line = lines_next(l)) && ms->n < MAX_MOUNTS) {
		/* id parent maj:min root mountpoint options [optional...] - type source superopts */
		int n = split_ws(line, f, 64), i;
		unsigned major, minor;
		const char *colon;
		uint64_t a, b;

		if (n < 8 || !(colon = num_scan(f[2], 10, UINT32_MAX, &a)) || *colon != ':' ||
		    !parse_u64(colon + 1, 10, &b))
			continue;
		for (i = 6; i < n && strcmp(f[i], "-"); i++)
			;
		if (i + 2 >= n)
			continue;
		major = (unsigned)a;
		minor = (unsigned)b;
		unescape(f[4]);
		unescape(f[i + 2]);
		if (major == 0) {	/* btrfs reports major 0: ask its device */
			struct stat st;
			if (strcmp(f[i + 1], "btrfs") || stat(f[i + 2], &st) < 0 || !S_ISBLK(st.st_mode))
				continue;
			major = major(st.st_rdev);
			minor = minor(st.st_rdev);
		}
		int k;
		for (k = 0; k < ms->n && !(ms->m[k].major == major && ms->m[k].minor == minor); k++)
			;
		if (k < ms->n)
			continue;	/* a bind mount of a device already listed */
		size_t need = strlen(f[4]) + strlen(f[i + 1]) + strlen(f[i + 2]) + 3;
		if (used + need > STRINGS_MAX)
			break;
		struct mount *m = &ms->m[ms->n++];
		m->dir = strcpy(ms->strings + used, f[4]);
		used += strlen(f[4]) + 1;
		m->type = strcpy(ms->strings + used, f[i + 1]);
		used += strlen(f[i + 1]) + 1;
		m->source = strcpy(ms->strings + used, f[i + 2]);
		used += strlen(f[i + 2]) + 1;
		m->major = major;
		m->minor = minor;
	}
	lines_close(l);
	mem_free(l);
	return ms;
}

void mounts_free(void)
{
	mem_free(list.strings);
	list.strings = NULL;
	list.n = 0;
}
