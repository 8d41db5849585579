/*
 * Output: one line per case as it completes, a summary table at the end,
 * or the same results as JSON.  Goals are reported, never asserted.
 */

#include <stdio.h>
#include <string.h>

#include "bench.h"

static double
ratio(const struct bench_result *r)
{
	return (r->in_rate > 0 ? r->d_rate / r->in_rate : 0);
}

static double
per_op_us(double cores, double ops)
{
	return (ops > 0 ? cores / ops * 1e6 : 0);
}

/* 1 met, 0 missed, -1 no goal or no figure. */
int
result_goal_met(const struct bench_result *r)
{
	if (r->failed)
		return (-1);
	switch (r->kind) {
	case KIND_RATE:
		return (r->goal_ratio > 0 ? ratio(r) >= r->goal_ratio : -1);
	case KIND_LATENCY:
		return (r->goal_p99_us > 0 ? r->d_p[1] <= r->goal_p99_us : -1);
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

void
report_line(FILE *out, const struct bench_result *r)
{
	char	goal[64];

	goal_str(r, goal, sizeof(goal));
	fprintf(out, "%-15s %s: ", r->id, r->title);
	if (r->failed) {
		fprintf(out, "FAILED: %s\n", r->error);
		fflush(out);
		return;
	}
	switch (r->kind) {
	case KIND_RATE:
		fprintf(out, "in-process %.1f %s, daemon %.1f %s, ratio %.2f "
		    "(goal %s: %s)", r->in_rate, r->unit, r->d_rate, r->unit,
		    ratio(r), goal, met_str(r));
		if (r->in_cores >= 0)
			fprintf(out, "; CPU per op: in-process %.1f us (%.2f "
			    "cores busy), daemon side %.1f us in secctxd (%.2f "
			    "cores) + %.1f us in its clients (%.2f cores)",
			    per_op_us(r->in_cores, r->in_ops), r->in_cores,
			    per_op_us(r->d_cores, r->d_ops), r->d_cores,
			    per_op_us(r->dc_cores, r->d_ops), r->dc_cores);
		break;
	case KIND_LATENCY:
		fprintf(out, "p50/p99/p99.9 in-process %.1f/%.1f/%.1f us (%ld "
		    "samples), daemon %.1f/%.1f/%.1f us (%ld samples) "
		    "(goal %s: %s)", r->in_p[0], r->in_p[1], r->in_p[2],
		    r->in_n, r->d_p[0], r->d_p[1], r->d_p[2], r->d_n, goal,
		    met_str(r));
		break;
	case KIND_SCALE:
		fprintf(out, "daemon %.2f KiB/context (goal %s: %s), %.2f "
		    "KiB/connection, %d fds, RSS %ld -> %ld -> %ld KiB, "
		    "connections in %.2f s, contexts in %.2f s (%.0f pairs/s);"
		    " in-process %.2f KiB/SSL, pairs in %.2f s (%.0f pairs/s);"
		    " establish ratio %.2f", r->d_kib_per_ctx, goal,
		    met_str(r), r->d_kib_per_conn, r->d_fds, r->d_rss_before,
		    r->d_rss_conns, r->d_rss_after, r->d_conn_secs,
		    r->d_establish_secs, r->d_rate, r->in_kib_per_ssl,
		    r->in_establish_secs, r->in_rate, ratio(r));
		break;
	}
	fprintf(out, "  [%s]\n", r->note);
	fflush(out);
}

void
report_summary(const struct bench_result *rs, int n,
    const struct bench_opts *o, const char *machine)
{
	const struct bench_result	*r;
	char				 in[48], d[48], rt[16], goal[48];
	int				 i, met = 0, missed = 0, failed = 0;

	printf("\nsummary: %s; %d stream%s per side, %s\n", machine,
	    o->threads, o->threads == 1 ? "" : "s", o->smoke ?
	    "smoke mode (tiny amounts of work: figures mean nothing)" :
	    "");
	printf("%-15s %-22s %-22s %-7s %-22s %s\n", "case", "in-process",
	    "daemon", "ratio", "goal", "");
	for (i = 0; i < n; i++) {
		r = &rs[i];
		goal_str(r, goal, sizeof(goal));
		snprintf(rt, sizeof(rt), "-");
		if (r->failed) {
			printf("%-15s FAILED: %s\n", r->id, r->error);
			failed++;
			continue;
		}
		switch (r->kind) {
		case KIND_RATE:
			snprintf(in, sizeof(in), "%.1f %s", r->in_rate,
			    r->unit);
			snprintf(d, sizeof(d), "%.1f %s", r->d_rate, r->unit);
			snprintf(rt, sizeof(rt), "%.2f", ratio(r));
			break;
		case KIND_LATENCY:
			snprintf(in, sizeof(in), "p99 %.1f us", r->in_p[1]);
			snprintf(d, sizeof(d), "p99 %.1f us", r->d_p[1]);
			snprintf(rt, sizeof(rt), "%.1fx", r->in_p[1] > 0 ?
			    r->d_p[1] / r->in_p[1] : 0);
			break;
		case KIND_SCALE:
			snprintf(in, sizeof(in), "%.2f KiB/SSL",
			    r->in_kib_per_ssl);
			snprintf(d, sizeof(d), "%.2f KiB/ctx",
			    r->d_kib_per_ctx);
			break;
		}
		printf("%-15s %-22s %-22s %-7s %-22s %s\n", r->id, in, d, rt,
		    goal, met_str(r));
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

static void
json_result(const struct bench_result *r)
{
	int	met = result_goal_met(r);

	printf("    {\"id\": ");
	json_str(r->id);
	printf(", \"title\": ");
	json_str(r->title);
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
		    "\"daemon\": %.3f, \"ratio\": %.4f, \"goal_ratio\": %.2f",
		    r->in_rate, r->d_rate, ratio(r), r->goal_ratio);
		if (r->in_cores >= 0)
			printf(", \"cpu_cores\": {\"in_process\": %.3f, "
			    "\"secctxd\": %.3f, \"daemon_clients\": %.3f}, "
			    "\"cpu_us_per_op\": {\"in_process\": %.2f, "
			    "\"secctxd\": %.2f, \"daemon_clients\": %.2f}",
			    r->in_cores, r->d_cores, r->dc_cores,
			    per_op_us(r->in_cores, r->in_ops),
			    per_op_us(r->d_cores, r->d_ops),
			    per_op_us(r->dc_cores, r->d_ops));
		break;
	case KIND_LATENCY:
		printf(", \"kind\": \"latency\", \"in_process_us\": {\"p50\": "
		    "%.2f, \"p99\": %.2f, \"p999\": %.2f, \"samples\": %ld}, "
		    "\"daemon_us\": {\"p50\": %.2f, \"p99\": %.2f, \"p999\": "
		    "%.2f, \"samples\": %ld}, \"goal_p99_us\": %.0f",
		    r->in_p[0], r->in_p[1], r->in_p[2], r->in_n, r->d_p[0],
		    r->d_p[1], r->d_p[2], r->d_n, r->goal_p99_us);
		if (r->load_rate > 0 || r->in_load_rate > 0)
			printf(", \"load_handshakes_per_s\": {\"in_process\": "
			    "%.1f, \"daemon\": %.1f}", r->in_load_rate,
			    r->load_rate);
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
		    r->d_establish_secs, r->d_rate, r->in_kib_per_ssl,
		    r->in_establish_secs, r->in_rate, ratio(r), r->goal_kib);
		break;
	}
	printf(", \"goal_met\": %s}", met == 1 ? "true" : met == 0 ?
	    "false" : "null");
}

void
report_json(const struct bench_result *rs, int n, const struct bench_opts *o,
    const char *machine)
{
	int	i;

	printf("{\n  \"machine\": ");
	json_str(machine);
	printf(",\n  \"streams\": %d, \"seconds\": %.2f, \"smoke\": %s,\n"
	    "  \"results\": [\n", o->threads, o->seconds,
	    o->smoke ? "true" : "false");
	for (i = 0; i < n; i++) {
		json_result(&rs[i]);
		printf("%s\n", i + 1 < n ? "," : "");
	}
	printf("  ]\n}\n");
}
