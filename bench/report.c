/*
 * Output: one line per case as it completes, a summary table at the end,
 * or the same results as JSON.  Goals are reported, never asserted.
 */

#include <stdio.h>
#include <string.h>

#include "bench.h"

/* Mediated in mode m against in-process: rates, or the scale case's. */
static double
ratio(const struct bench_result *r, int m)
{
	return (r->in_rate > 0 ? r->d[m].rate / r->in_rate : 0);
}

/* How many times the in-process p99 mode m's is. */
static double
p99_times(const struct bench_result *r, int m)
{
	return (r->in_p[1] > 0 ? r->d[m].p[1] / r->in_p[1] : 0);
}

static double
per_op_us(double cores, double ops)
{
	return (ops > 0 ? cores / ops * 1e6 : 0);
}

/* Of the records-in-process figure: 1 met, 0 missed, -1 no goal or figure. */
int
result_goal_met(const struct bench_result *r)
{
	const struct md_result	*d = &r->d[MODE_PROCESS];

	if (r->failed)
		return (-1);
	switch (r->kind) {
	case KIND_RATE:
		return (r->goal_ratio > 0 ? ratio(r, MODE_PROCESS) >=
		    r->goal_ratio : -1);
	case KIND_LATENCY:
		return (r->goal_p99_us > 0 ? d->p[1] <= r->goal_p99_us : -1);
	case KIND_SCALE:
		return (r->goal_kib > 0 ? r->d_kib_per_ctx <= r->goal_kib : -1);
	}
	return (-1);
}

static const char *
met_str(const struct bench_result *r)
{
	switch (result_goal_met(r)) {
	case 1:
		return ("goal met");
	case 0:
		return ("missed");
	}
	return ("-");
}

static void
goal_str(const struct bench_result *r, char *buf, size_t len)
{
	switch (r->kind) {
	case KIND_RATE:
		snprintf(buf, len, "ratio >= %.2f", r->goal_ratio);
		break;
	case KIND_LATENCY:
		snprintf(buf, len, "p99 <= %.0f us", r->goal_p99_us);
		break;
	case KIND_SCALE:
		snprintf(buf, len, "<= %.0f KiB/context", r->goal_kib);
		break;
	}
}

/* The goal is the process mode's; the daemon mode's reference: README. */
static void
line_goal(FILE *out, const struct bench_result *r, int m)
{
	char	goal[64];

	if (m != MODE_PROCESS)
		return;
	goal_str(r, goal, sizeof(goal));
	fprintf(out, " (goal %s: %s)", goal, met_str(r));
}

static void
line_rate(FILE *out, const struct bench_result *r)
{
	const struct md_result	*d;
	int			 m;

	fprintf(out, "in-process %.1f %s", r->in_rate, r->unit);
	for (m = 0; m < r->nmodes; m++) {
		fprintf(out, "; mediated(%s) %.1f %s, ratio %.2f",
		    mode_name(m), r->d[m].rate, r->unit, ratio(r, m));
		line_goal(out, r, m);
	}
	if (r->in_cores < 0)
		return;
	fprintf(out, "; CPU per op: in-process %.1f us (%.2f cores busy)",
	    per_op_us(r->in_cores, r->in_ops), r->in_cores);
	for (m = 0; m < r->nmodes; m++) {
		d = &r->d[m];
		if (d->cores >= 0)
			fprintf(out, ", mediated(%s) %.1f us in secctxd (%.2f "
			    "cores) + %.1f us in its clients (%.2f cores)",
			    mode_name(m), per_op_us(d->cores, d->ops),
			    d->cores, per_op_us(d->client_cores, d->ops),
			    d->client_cores);
	}
}

static void
line_latency(FILE *out, const struct bench_result *r)
{
	const struct md_result	*d;
	int			 m;

	fprintf(out, "p50/p99/p99.9 in-process %.1f/%.1f/%.1f us (%ld "
	    "samples)", r->in_p[0], r->in_p[1], r->in_p[2], r->in_n);
	for (m = 0; m < r->nmodes; m++) {
		d = &r->d[m];
		fprintf(out, "; mediated(%s) %.1f/%.1f/%.1f us (%ld samples), "
		    "p99 %.1fx in-process", mode_name(m), d->p[0], d->p[1],
		    d->p[2], d->n, p99_times(r, m));
		line_goal(out, r, m);
	}
}

static void
line_scale(FILE *out, const struct bench_result *r)
{
	fprintf(out, "daemon %.2f KiB/context", r->d_kib_per_ctx);
	line_goal(out, r, MODE_PROCESS);
	fprintf(out, ", %.2f KiB/connection, %d fds, RSS %ld -> %ld -> %ld "
	    "KiB, connections in %.2f s, contexts in %.2f s (%.0f pairs/s); "
	    "in-process %.2f KiB/SSL, pairs in %.2f s (%.0f pairs/s); "
	    "establish ratio %.2f", r->d_kib_per_conn, r->d_fds,
	    r->d_rss_before, r->d_rss_conns, r->d_rss_after, r->d_conn_secs,
	    r->d_establish_secs, r->d[MODE_PROCESS].rate, r->in_kib_per_ssl,
	    r->in_establish_secs, r->in_rate, ratio(r, MODE_PROCESS));
}

/* One line per case: in-process, then the mediated side in each mode. */
void
report_line(FILE *out, const struct bench_result *r)
{
	fprintf(out, "%-15s %s: ", r->id, r->title);
	if (r->failed) {
		fprintf(out, "FAILED: %s\n", r->error);
		fflush(out);
		return;
	}
	switch (r->kind) {
	case KIND_RATE:
		line_rate(out, r);
		break;
	case KIND_LATENCY:
		line_latency(out, r);
		break;
	case KIND_SCALE:
		line_scale(out, r);
		break;
	}
	fprintf(out, "  [%s]\n", r->note);
	fflush(out);
}

/* One row per case and records mode. */
static void
summary_row(const struct bench_result *r, int m)
{
	const struct md_result	*d = &r->d[m];
	char			 in[48], md[48], rt[16], goal[48];
	const char		*met = "-";

	snprintf(rt, sizeof(rt), "-");
	snprintf(goal, sizeof(goal), "reference: README");
	if (m == MODE_PROCESS) {
		goal_str(r, goal, sizeof(goal));
		met = met_str(r);
	}
	switch (r->kind) {
	case KIND_RATE:
		snprintf(in, sizeof(in), "%.1f %s", r->in_rate, r->unit);
		snprintf(md, sizeof(md), "%.1f %s", d->rate, r->unit);
		snprintf(rt, sizeof(rt), "%.2f", ratio(r, m));
		break;
	case KIND_LATENCY:
		snprintf(in, sizeof(in), "p99 %.1f us", r->in_p[1]);
		snprintf(md, sizeof(md), "p99 %.1f us", d->p[1]);
		snprintf(rt, sizeof(rt), "%.1fx", p99_times(r, m));
		break;
	case KIND_SCALE:
		snprintf(in, sizeof(in), "%.2f KiB/SSL", r->in_kib_per_ssl);
		snprintf(md, sizeof(md), "%.2f KiB/ctx", r->d_kib_per_ctx);
		break;
	}
	printf("%-17s %-8s %-22s %-22s %-7s %-22s %s\n", r->id, mode_name(m),
	    in, md, rt, goal, met);
}

void
report_summary(const struct bench_result *rs, int n,
    const struct bench_opts *o, const char *machine)
{
	const struct bench_result	*r;
	int				 i, m, met = 0, missed = 0, failed = 0;

	printf("\nsummary: %s; %d stream%s per side, %s\n", machine,
	    o->threads, o->threads == 1 ? "" : "s", o->smoke ?
	    "smoke mode (tiny amounts of work: figures mean nothing)" :
	    "");
	printf("%-17s %-8s %-22s %-22s %-7s %-22s %s\n", "case", "records",
	    "in-process", "mediated", "ratio", "goal", "");
	for (i = 0; i < n; i++) {
		r = &rs[i];
		if (r->failed) {
			printf("%-17s FAILED: %s\n", r->id, r->error);
			failed++;
			continue;
		}
		for (m = 0; m < r->nmodes; m++)
			summary_row(r, m);
		if (result_goal_met(r) == 1)
			met++;
		else if (result_goal_met(r) == 0)
			missed++;
	}
	printf("goals: %d met, %d missed, %d cases failed (reported, not "
	    "asserted)\n", met, missed, failed);
}

static void
json_str(const char *s)
{
	putchar('"');
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			printf("\\u%04x", (unsigned char)*s);
		else
			putchar(*s);
	}
	putchar('"');
}

/* One record per case and records mode; the goal is the process mode's. */
static void
json_result(const struct bench_result *r, int m)
{
	const struct md_result	*d = &r->d[m];
	int			 met = m == MODE_PROCESS ?
				    result_goal_met(r) : -1;

	printf("    {\"id\": ");
	json_str(r->id);
	printf(", \"title\": ");
	json_str(r->title);
	printf(", \"mode\": ");
	json_str(mode_name(m));
	printf(", \"unit\": ");
	json_str(r->unit);
	printf(", \"failed\": %s", r->failed ? "true" : "false");
	if (r->failed) {
		printf(", \"error\": ");
		json_str(r->error);
	}
	printf(", \"note\": ");
	json_str(r->note);
	switch (r->kind) {
	case KIND_RATE:
		printf(", \"kind\": \"rate\", \"in_process\": %.3f, "
		    "\"mediated\": %.3f, \"ratio\": %.4f", r->in_rate,
		    d->rate, ratio(r, m));
		if (m == MODE_PROCESS)
			printf(", \"goal_ratio\": %.2f", r->goal_ratio);
		if (r->in_cores >= 0 && d->cores >= 0)
			printf(", \"cpu_cores\": {\"in_process\": %.3f, "
			    "\"secctxd\": %.3f, \"daemon_clients\": %.3f}, "
			    "\"cpu_us_per_op\": {\"in_process\": %.2f, "
			    "\"secctxd\": %.2f, \"daemon_clients\": %.2f}",
			    r->in_cores, d->cores, d->client_cores,
			    per_op_us(r->in_cores, r->in_ops),
			    per_op_us(d->cores, d->ops),
			    per_op_us(d->client_cores, d->ops));
		break;
	case KIND_LATENCY:
		printf(", \"kind\": \"latency\", \"in_process_us\": {\"p50\": "
		    "%.2f, \"p99\": %.2f, \"p999\": %.2f, \"samples\": %ld}, "
		    "\"mediated_us\": {\"p50\": %.2f, \"p99\": %.2f, "
		    "\"p999\": %.2f, \"samples\": %ld}", r->in_p[0], r->in_p[1],
		    r->in_p[2], r->in_n, d->p[0], d->p[1], d->p[2], d->n);
		if (m == MODE_PROCESS)
			printf(", \"goal_p99_us\": %.0f", r->goal_p99_us);
		if (d->load_rate > 0 || r->in_load_rate > 0)
			printf(", \"load_handshakes_per_s\": {\"in_process\": "
			    "%.1f, \"mediated\": %.1f}", r->in_load_rate,
			    d->load_rate);
		break;
	case KIND_SCALE:
		printf(", \"kind\": \"scale\", \"daemon_contexts\": %ld, "
		    "\"daemon_connections\": %ld, \"daemon_kib_per_context\": "
		    "%.3f, \"daemon_kib_per_connection\": %.3f, "
		    "\"daemon_rss_kib\": [%ld, %ld, %ld], \"daemon_fds\": %d, "
		    "\"daemon_connect_s\": %.3f, \"daemon_establish_s\": %.3f,"
		    " \"daemon_pairs_per_s\": %.1f, "
		    "\"in_process_kib_per_ssl\": %.3f, "
		    "\"in_process_establish_s\": %.3f, "
		    "\"in_process_pairs_per_s\": %.1f, \"ratio\": %.4f, "
		    "\"goal_kib_per_context\": %.0f", r->contexts, r->conns,
		    r->d_kib_per_ctx, r->d_kib_per_conn, r->d_rss_before,
		    r->d_rss_conns, r->d_rss_after, r->d_fds, r->d_conn_secs,
		    r->d_establish_secs, d->rate, r->in_kib_per_ssl,
		    r->in_establish_secs, r->in_rate, ratio(r, m), r->goal_kib);
		break;
	}
	printf(", \"goal_met\": %s}", met == 1 ? "true" : met == 0 ?
	    "false" : "null");
}

void
report_json(const struct bench_result *rs, int n, const struct bench_opts *o,
    const char *machine)
{
	const char	*sep = "";
	int		 i, m;

	printf("{\n  \"machine\": ");
	json_str(machine);
	printf(",\n  \"streams\": %d, \"seconds\": %.2f, \"smoke\": %s,\n"
	    "  \"results\": [\n", o->threads, o->seconds,
	    o->smoke ? "true" : "false");
	for (i = 0; i < n; i++) {
		for (m = 0; m < rs[i].nmodes; m++) {
			printf("%s", sep);
			json_result(&rs[i], m);
			sep = ",\n";
		}
	}
	printf("\n  ]\n}\n");
}
