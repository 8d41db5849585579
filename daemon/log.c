/*
 * Logging to stderr, one line per event, with the syslog priority prefix
 * that systemd-journald reads ("<3>" error ... "<7>" debug).
 *
 * Strings from clients and peers are escaped by the callers
 * (proto/escape.h).  As a last net, the formatted line goes through
 * sc_escape_line(): a control character or invalid UTF-8 left in it is
 * escaped, so every call writes exactly one line; escaped text passes
 * unchanged.  A line longer than LOG_LINE_MAX is cut between two characters
 * and marked "...".
 */

#include <stdarg.h>
#include <stdio.h>

#include "secctxd.h"
#include "escape.h"

#define LOG_LINE_MAX	4096

static int	log_verbose;

void
log_init(int verbose)
{
	log_verbose = verbose;
	setvbuf(stderr, NULL, _IOLBF, 0);
}

static void
log_vwrite(int prio, const char *fmt, va_list ap)
{
	char	text[LOG_LINE_MAX * 2], line[LOG_LINE_MAX];

	vsnprintf(text, sizeof(text), fmt, ap);
	sc_escape_line(line, sizeof(line), text);
	fprintf(stderr, "<%d>%s\n", prio, line);
}

void
log_debug(const char *fmt, ...)
{
	va_list	ap;

	if (!log_verbose)
		return;
	va_start(ap, fmt);
	log_vwrite(7, fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vwrite(6, fmt, ap);
	va_end(ap);
}

void
log_warn(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vwrite(4, fmt, ap);
	va_end(ap);
}

void
log_err(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vwrite(3, fmt, ap);
	va_end(ap);
}
