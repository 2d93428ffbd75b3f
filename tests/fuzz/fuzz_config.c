/* fuzz_config.c - libFuzzer target: the config file parser and the
 * command line parser, together as cli_parse runs them.
 *
 * Input: the key file's text, a NUL byte, then argv words each ended by a
 * NUL (argv[0] is supplied).  Without a NUL the whole input is argv, with
 * no file.  The parsers may print (usage, --dump-conf, errors: run with
 * -close_fd_mask=3) but must not exit, crash or leak; what they accept
 * must hold together afterwards. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "options.h"

#define FUZZ_ARGV_MAX 64

static void check_config(const struct config *c)
{
	const struct idlist *l[] = { &c->peer_cids, &c->peer_uids, &c->peer_gids };

	for (size_t i = 0; i < 3; i++)
		if (l[i]->n > PEER_LIST_MAX)
			abort();
	for (size_t i = 0; i < c->block.n; i++)
		if (!c->block.v[i] || !*c->block.v[i] || strchr(c->block.v[i], ','))
			abort();	/* list items: non-empty, no commas */
	for (size_t i = 0; i < c->allow.n; i++)
		if (!c->allow.v[i] || !*c->allow.v[i] || strchr(c->allow.v[i], ','))
			abort();
	if (!c->method || !c->pidfile || !c->statedir)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *argv[FUZZ_ARGV_MAX + 1] = { "tinyqga" };
	const uint8_t *nul = memchr(data, 0, size);
	size_t textlen = nul ? (size_t)(nul - data) : 0;
	char *text = NULL, *words;
	struct config c;
	int argc = 1, rc;

	if (nul) {
		text = malloc(textlen + 1);	/* read_file's copy, 0-ended */
		memcpy(text, data, textlen);
		text[textlen] = 0;
		data += textlen + 1;
		size -= textlen + 1;
	}
	words = malloc(size + 1);
	memcpy(words, data, size);
	words[size] = 0;
	for (size_t i = 0; i < size && argc < FUZZ_ARGV_MAX; argc++) {
		argv[argc] = words + i;
		i += strlen(words + i) + 1;
	}
	argv[argc] = NULL;

	rc = cli_parse_text(&c, argc, argv, "fuzz.conf", text, textlen);
	if (rc < -1 || rc > 1)
		abort();
	if (rc == -1)
		check_config(&c);
	cli_free(&c);
	free(words);
	free(text);
	return 0;
}
