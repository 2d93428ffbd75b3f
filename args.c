/* args.c - decode a request's "arguments" against a command's spec, with
 * the errors of QEMU's QObject input visitor: members are visited in spec
 * order (missing or mistyped first), leftovers are "unexpected". */
#include <string.h>

#include "args.h"
#include "fmt.h"

static const char *const type_names[] = {
	[ARG_INT] = "integer", [ARG_UINT64] = "integer", [ARG_NUMBER] = "number",
	[ARG_BOOL] = "boolean", [ARG_STR] = "string", [ARG_ENUM] = "string",
	[ARG_STR_LIST] = "array",
};

static int enum_index(struct call *c, const struct arg_spec *s, const char *str, int *out)
{
	const char *const *names = s->sub;

	for (int k = 0; names[k]; k++)
		if (!strcmp(names[k], str)) {
			*out = k;
			return 0;
		}
	/* QEMU names the member here, not its full path */
	call_error(c, "Parameter '%s' does not accept value '", s->name);
	return call_error_quoting(c, ERR_GENERIC, c->err_owned, str, strlen(str), "'");
}

static int decode_object(struct call *c, jv obj, const struct arg_spec *spec, void *dst,
			 const char *prefix);

static int decode_one(struct call *c, const struct arg_spec *s, jv v, void *dst,
		      const char *prefix)
{
	const struct jbuf *b = c->doc;
	enum jtype t = jv_type(b, v);
	int64_t i;
	uint64_t u;

	switch (s->type) {
	case ARG_INT:
		if (!jv_int(b, v, &i))
			break;
		memcpy(dst, &i, sizeof(i));
		return 0;
	case ARG_UINT64:
		/* negative ints are accepted as two's complement, as QEMU */
		if (jv_uint(b, v, &u) || (jv_int(b, v, &i) && (u = (uint64_t)i, 1))) {
			memcpy(dst, &u, sizeof(u));
			return 0;
		}
		return call_error(c, "Parameter '%s%s' expects uint64", prefix, s->name);
	case ARG_NUMBER:
		if (t != J_INT && t != J_UINT && t != J_DOUBLE)
			break;
		double d = jv_double(b, v);
		memcpy(dst, &d, sizeof(d));
		return 0;
	case ARG_BOOL:
		if (t != J_TRUE && t != J_FALSE)
			break;
		*(bool *)dst = t == J_TRUE;
		return 0;
	case ARG_STR:
		if (t != J_STR)
			break;
		*(const char **)dst = jv_str(b, v, NULL);
		return 0;
	case ARG_ENUM:
		if (t != J_STR)
			break;
		return enum_index(c, s, jv_str(b, v, NULL), (int *)dst);
	case ARG_STR_LIST: {
		struct arg_list l = { JV_NONE, 0 };
		if (t != J_ARRAY)
			break;
		for (jv e = jv_first(b, v); e != JV_NONE; e = jv_next(b, e), l.n++) {
			if (jv_type(b, e) != J_STR)
				return call_error(c, "Invalid parameter type for '%s%s[%zu]', "
						  "expected: string", prefix, s->name, l.n);
			if (l.first == JV_NONE)
				l.first = e;
		}
		memcpy(dst, &l, sizeof(l));
		return 0;
	}
	case ARG_INT_OR_ENUM:
	case ARG_BOOL_OR_ENUM: {
		/* an alternate: the JSON type picks the branch, as QAPI */
		struct arg_alt alt = { false, 0 };
		int k;
		if (t == J_STR) {
			if (enum_index(c, s, jv_str(b, v, NULL), &k) < 0)
				return -1;
			alt.is_enum = true;
			alt.v = k;
		} else if (s->type == ARG_BOOL_OR_ENUM && (t == J_TRUE || t == J_FALSE)) {
			alt.v = t == J_TRUE;
		} else if (s->type == ARG_INT_OR_ENUM && (t == J_INT || t == J_UINT || t == J_DOUBLE)) {
			if (!jv_int(b, v, &alt.v))
				return call_error(c, "Invalid parameter type for '%s%s', "
						  "expected: integer", prefix, s->name);
		} else {
			return call_error(c, "Invalid parameter type for '%s%s', expected: %s",
					  prefix, s->name, s->alt_name);
		}
		memcpy(dst, &alt, sizeof(alt));
		return 0;
	}
	case ARG_OBJ_LIST: {
		struct arg_list l = { JV_NONE, 0 };
		_Alignas(8) unsigned char scratch[ARG_ELEM_MAX];
		char path[128];
		if (t != J_ARRAY)
			break;
		for (jv e = jv_first(b, v); e != JV_NONE; e = jv_next(b, e), l.n++) {
			fmt(path, sizeof(path), "%s%s[%zu]", prefix, s->name, l.n);
			if (jv_type(b, e) != J_OBJECT)
				return call_error(c, "Invalid parameter type for '%s', "
						  "expected: object", path);
			strcat(path, ".");
			if (decode_object(c, e, s->sub, scratch, path) < 0)
				return -1;
			if (l.first == JV_NONE)
				l.first = e;
		}
		memcpy(dst, &l, sizeof(l));
		return 0;
	}
	}
	return call_error(c, "Invalid parameter type for '%s%s', expected: %s",
			  prefix, s->name, type_names[s->type]);
}

static int decode_object(struct call *c, jv obj, const struct arg_spec *spec, void *dst,
			 const char *prefix)
{
	const struct jbuf *b = c->doc;
	const struct arg_spec *s;
	struct jv_order ord;
	size_t i, len;
	jv v;

	for (s = spec; s && s->name; s++) {
		v = obj == JV_NONE ? JV_NONE : jv_get(b, obj, s->name);
		if (v == JV_NONE) {
			if (s->optional)
				continue;
			return call_error(c, "Parameter '%s%s' is missing", prefix, s->name);
		}
		if (decode_one(c, s, v, (char *)dst + s->offset, prefix) < 0)
			return -1;
	}
	if (obj == JV_NONE || jv_first(b, obj) == JV_NONE)
		return 0;
	if (!jv_order_init(&ord, b, obj))
		return call_error(c, "out of memory");
	for (i = 0; i < ord.n; i++) {
		const char *k = jv_str(b, ord.keys[i], &len);
		for (s = spec; s && s->name; s++)
			if (strlen(s->name) == len && !memcmp(s->name, k, len))
				break;
		if (s && s->name)
			continue;
		jv_order_free(&ord);
		call_error(c, "Parameter '%s", prefix);
		return call_error_quoting(c, ERR_GENERIC, c->err_owned, k, len, "' is unexpected");
	}
	jv_order_free(&ord);
	return 0;
}

int args_decode(struct call *c, const struct arg_spec *spec, void *dst)
{
	return decode_object(c, c->args, spec, dst, "");
}

void (args_decode_elem)(struct call *c, jv obj, const struct arg_spec *members, void *dst)
{
	decode_object(c, obj, members, dst, "");
}

bool arg_present(const struct call *c, const char *name)
{
	return c->args != JV_NONE && jv_get(c->doc, c->args, name) != JV_NONE;
}
