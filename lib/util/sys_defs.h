/*
 * NAME
 *	sys_defs - portability and compiler definitions for all of Postern
 * SYNOPSIS
 *	#include <util/sys_defs.h>
 * DESCRIPTION
 *	Included first by every Postern source file. It fixes the feature
 *	macros, offers the attribute shorthands used in prototypes, and poisons
 *	the C library string functions that have no length check, so the
 *	compiler rejects them everywhere: use struct buf (util/buf.h) instead.
 */
#ifndef POSTERN_SYS_DEFS_H
#define POSTERN_SYS_DEFS_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <sys/types.h>
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdarg.h>
#include <string.h>
#include <stdio.h>
#include <stdlib.h>
#include <errno.h>

#define PRINTFLIKE(f, a)	__attribute__((format(printf, f, a)))
#define NORETURN		__attribute__((noreturn))
#define UNUSED			__attribute__((unused))
#define WARN_UNUSED		__attribute__((warn_unused_result))

#define ARRAY_LEN(a)	(sizeof(a) / sizeof((a)[0]))

/* Default configuration directory; overridden by -c and MAIL_CONFIG. */
#ifndef DEF_CONFIG_DIR
#define DEF_CONFIG_DIR	"/etc/postern"
#endif

#pragma GCC poison strcpy strcat sprintf vsprintf gets strtok

#endif
