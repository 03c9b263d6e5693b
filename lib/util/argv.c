/*
 * NAME
 *	argv - growable string arrays
 * DESCRIPTION
 *	See argv.h.
 */
#include <util/sys_defs.h>
#include <util/alloc.h>
#include <util/argv.h>

/* argv_new - create an empty array */
struct argv *
argv_new(size_t hint)
{
	struct argv *argvp = xmalloc(sizeof(*argvp));

	argvp->cap = hint > 4 ? hint : 4;
	argvp->argv = xcalloc(argvp->cap + 1, sizeof(char *));
	argvp->argc = 0;
	return (argvp);
}

/* argv_addn - append a copy of len bytes */
void
argv_addn(struct argv *argvp, const char *str, size_t len)
{
	if (argvp->argc + 1 >= argvp->cap) {
		argvp->cap *= 2;
		argvp->argv = xreallocarray(argvp->argv, argvp->cap + 1, sizeof(char *));
	}
	argvp->argv[argvp->argc++] = xstrndup(str, len);
	argvp->argv[argvp->argc] = NULL;
}

/* argv_add - append a copy of a string */
void
argv_add(struct argv *argvp, const char *str)
{
	argv_addn(argvp, str, strlen(str));
}

/* argv_split_append - append the non-empty fields of str */
struct argv *
argv_split_append(struct argv *argvp, const char *str, const char *delims)
{
	size_t	len;

	for (;;) {
		str += strspn(str, delims);
		if (*str == 0)
			break;
		len = strcspn(str, delims);
		argv_addn(argvp, str, len);
		str += len;
	}
	return (argvp);
}

/* argv_split - split a string into a new array */
struct argv *
argv_split(const char *str, const char *delims)
{
	return (argv_split_append(argv_new(0), str, delims));
}

/* argv_truncate - drop elements from index len on */
void
argv_truncate(struct argv *argvp, size_t len)
{
	while (argvp->argc > len)
		free(argvp->argv[--argvp->argc]);
	argvp->argv[argvp->argc] = NULL;
}

/* argv_free - destroy the array and its strings */
void
argv_free(struct argv *argvp)
{
	if (argvp == NULL)
		return;
	argv_truncate(argvp, 0);
	free(argvp->argv);
	free(argvp);
}
