/* handler.h - what a command handler sees: its call, errors and reply,
 * its argument spec, and the declaration that puts it in the table. */
#ifndef TINYQGA_HANDLER_H
#define TINYQGA_HANDLER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "json.h"

enum err_class { ERR_GENERIC, ERR_COMMAND_NOT_FOUND };

/* One request being executed. */
struct call {
	struct out *out;
	const struct jbuf *doc;
	jv args;		/* the "arguments" object, or JV_NONE */
	bool returned;		/* the handler has started its return value */
	bool failed;
	bool delimited;		/* 0xFF before the reply (guest-sync-delimited) */
	enum err_class cls;
	struct json_err err;	/* the error text when failed */
	char *err_owned;	/* heap text behind err, freed after the reply */
};

/* A handler either fails with call_error() (nothing written yet), or
 * writes its value after reply_begin(); returning without either sends
 * {"return": {}}. */
int call_error(struct call *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* An error quoting text of the peer's (a name, a value), which may be
 * long: written from where it lies, not copied. */
int call_error_quoting(struct call *c, enum err_class cls, const char *pre,
		       const void *mid, size_t len, const char *suf);
void reply_begin(struct call *c);
/* Forget an error (of a call made only to probe something). */
void call_error_free(struct call *c);
bool arg_present(const struct call *c, const char *name);

/* Argument specs: decoded in order into the handler's argument struct,
 * with qemu-ga's errors for missing, mistyped and unexpected members. */
enum arg_type {
	ARG_INT, ARG_UINT64, ARG_NUMBER, ARG_BOOL, ARG_STR,	/* C types */
	ARG_ENUM,		/* int: index into the names in sub */
	ARG_STR_LIST,		/* struct arg_list */
	ARG_INT_OR_ENUM,	/* struct arg_alt: an int, or an enum name */
	ARG_BOOL_OR_ENUM,	/* struct arg_alt: a bool, or an enum name */
	ARG_OBJ_LIST,		/* struct arg_list of objects, checked against sub */
};

struct arg_spec {
	const char *name;
	unsigned char type;
	bool optional;
	unsigned short offset;		/* into the argument struct */
	const void *sub;		/* enum names (NULL-terminated), or the
					 * members of ARG_OBJ_LIST's objects */
	const char *alt_name;		/* the alternate's QAPI type, for errors */
};

struct arg_list {			/* strings, checked, read with jv_next */
	jv first;
	size_t n;
};

struct arg_alt {
	bool is_enum;
	int64_t v;			/* the int or bool, or the enum index */
};

/* Room for a command's argument struct (the dispatcher's) and for one
 * object of an ARG_OBJ_LIST while args.c checks it: the declarations
 * below refuse larger structs at compile time. */
#define ARG_STRUCT_MAX 256
#define ARG_ELEM_MAX 128

/* A spec for struct st.  Its entries name the spec, not the struct, so
 * each field is looked up in st; QGA_COMMAND, ARG_LIST_OF and
 * args_decode_elem() check that st is the struct they are given:
 *     ARG_SPEC(sync_spec, struct sync_args) = {
 *             ARG(sync_spec, id, "id", ARG_INT, false), ..., ARG_END };
 */
#define ARG_SPEC(name, st) \
	typedef st name##_type; static const struct arg_spec name[]

/* 0, or a compile error saying msg: a _Static_assert inside an expression. */
#define ARG_CHECK(cond, msg) \
	(0 * sizeof(struct { _Static_assert(cond, msg); char c; }))
/* The arg_types whose value a C type can hold. */
#define ARG_TYPES_OF(x) _Generic((x),						\
	int64_t: 1 << ARG_INT, uint64_t: 1 << ARG_UINT64,			\
	double: 1 << ARG_NUMBER, bool: 1 << ARG_BOOL,				\
	const char *: 1 << ARG_STR, int: 1 << ARG_ENUM,				\
	struct arg_list: 1 << ARG_STR_LIST | 1 << ARG_OBJ_LIST,			\
	struct arg_alt: 1 << ARG_INT_OR_ENUM | 1 << ARG_BOOL_OR_ENUM,		\
	default: 0)
/* The offset of the field in spec's struct, which must be of the C type
 * that type fills. */
#define ARG_AT(spec, field, type)						\
	(unsigned short)(offsetof(spec##_type, field) +				\
		ARG_CHECK(ARG_TYPES_OF(((spec##_type *)0)->field) >> (type) & 1,	\
			  #spec ": " #field " cannot hold an " #type))

#define ARG(spec, field, qname, type, opt) \
	{ qname, type, opt, ARG_AT(spec, field, type), NULL, NULL }
#define ARG_ENUM_OF(spec, field, qname, type, opt, names, alt) \
	{ qname, type, opt, ARG_AT(spec, field, type), names, alt }
#define ARG_LIST_OF(spec, field, qname, opt, members)				\
	{ qname, ARG_OBJ_LIST, opt, ARG_AT(spec, field, ARG_OBJ_LIST) +		\
		ARG_CHECK(sizeof(members##_type) <= ARG_ELEM_MAX,		\
			  "the struct of " #members " is larger than ARG_ELEM_MAX"),	\
	  members, NULL }
#define ARG_END { NULL, 0, 0, 0, NULL, NULL }

struct command {
	const char *name;
	int (*run)(struct call *c, void *args);
	const struct arg_spec *args;
	unsigned short schema_pos;	/* qemu-ga's schema order */
	unsigned char flags;
};

#define CMD_NO_SUCCESS_RESPONSE 1	/* nothing is sent when it succeeds */
#define CMD_FREEZE_SAFE 2		/* allowed while filesystems are frozen */
/* The request fuzzer (tests/fuzz/fuzz_request.c) may run it: whatever its
 * arguments, it only reads the guest, or looks up a file handle or pid the
 * fuzzer never creates.  Without it a command is decoded but not run
 * (fuzz_sysfiles, in its own sysroot, names its commands: dispatch.h). */
#define CMD_FUZZ_SAFE 4

/* Declare a command next to its handler.  The build collects these lines
 * from the selected cmds/ files into the command table, sorted by pos.
 * fn must take argtype, the struct spec was declared for. */
#define QGA_COMMAND(pos, fn, qname, spec, argtype, flags)			\
	_Static_assert(_Generic(&fn, int (*)(struct call *, argtype *): 1,	\
				int (*)(struct call *, const argtype *): 1,	\
				default: 0), #fn " does not take " #argtype);	\
	_Static_assert(_Generic((spec##_type *)0, argtype *: 1, default: 0),	\
		       #spec " is not a spec for " #argtype);			\
	_Static_assert(sizeof(argtype) <= ARG_STRUCT_MAX,			\
		       #argtype " is larger than ARG_STRUCT_MAX");		\
	static int fn##_run(struct call *c, void *a) { return fn(c, a); }	\
	const struct command cmd_##fn = { qname, fn##_run, spec, pos, flags }
#define QGA_COMMAND0(pos, fn, qname, flags)                                  \
	static int fn##_run(struct call *c, void *a) { (void)a; return fn(c); } \
	const struct command cmd_##fn = { qname, fn##_run, NULL, pos, flags }

/* One object of an ARG_OBJ_LIST (already checked) into dst, which must
 * point to the struct members was declared for. */
void args_decode_elem(struct call *c, jv obj, const struct arg_spec *members, void *dst);
#define args_decode_elem(c, obj, members, dst) \
	args_decode_elem(c, obj, members, _Generic((dst), members##_type *: (dst)))

/* Settings commands need from the command line and config file. */
extern struct settings {
	const char *fsfreeze_hook;	/* NULL: no hook, as qemu-ga without -F */
	int fsfreeze_timeout;		/* seconds frozen before auto-thaw, 0: never */
} settings;

#endif
