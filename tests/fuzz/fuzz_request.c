/* fuzz_request.c - libFuzzer target: bytes in, replies out, through the
 * tokenizer, the dispatcher, argument decoding and the handlers.
 *
 * Built with every command group.  Handlers that only read the guest run
 * for real; those that would change it (files opened, processes started,
 * clocks set, filesystems frozen, power, passwords, keys) are decoded but
 * not run: in a TINYQGA_FUZZ build dispatch() runs only the commands
 * declared CMD_FUZZ_SAFE (handler.h).
 * Every request gets a reply that is one line of valid JSON, except the
 * commands that send none on success. */
#include <stddef.h>
#include <stdint.h>

#include "replies.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	run_requests(data, size);
	return 0;
}
