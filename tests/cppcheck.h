/* Forced into every file cppcheck reads: the macros it cannot see through
 * (libbpf's section and options macros), defined to their shape. */
#define SEC(name)
#define LIBBPF_OPTS(TYPE, NAME, ...) struct TYPE NAME = { __VA_ARGS__ }
#define __uint(name, val) int(*name)[val]
#define __type(name, val) typeof(val) *name
#define __array(name, val) typeof(val) *name[]
