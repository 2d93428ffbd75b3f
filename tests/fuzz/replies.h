/* replies.h - what the request-running fuzz targets share: requests
 * through the tokenizer and dispatch() as the agent's loop runs them,
 * and the check that every reply is one line of valid JSON. */
#ifndef TINYQGA_FUZZ_REPLIES_H
#define TINYQGA_FUZZ_REPLIES_H

#include <stddef.h>
#include <stdint.h>

/* Feed data as a peer would send it; abort() if a reply is not one line
 * holding one JSON object. */
void run_requests(const uint8_t *data, size_t size);

#endif
