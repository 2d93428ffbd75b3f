/* args.h - decoding a request's "arguments" (args.c), for the dispatcher;
 * handlers see the specs and args_decode_elem() in handler.h. */
#ifndef TINYQGA_ARGS_H
#define TINYQGA_ARGS_H

#include "handler.h"

/* The request's "arguments" into dst by spec: 0, or -1 after call_error(). */
int args_decode(struct call *c, const struct arg_spec *spec, void *dst);

#endif
