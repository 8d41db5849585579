/* secctxd: arguments, signals, start and clean stop. */

#include <sys/resource.h>

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/thread.h>
#include <openssl/ssl.h>

#include "secctxd.h"

#define SD_LISTEN_FDS_START	3

struct event_base	*base;
struct config		*config;

/*
 * Take every descriptor the hard limit allows: each uid may hold
 * limits.connections_per_uid of them, and a daemon out of descriptors
 * refuses new connections (server.c).
 */
static void
raise_nofile(void)
{
	struct rlimit	rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
			(void)getrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur <
	    8 * (rlim_t)config->limits.connections_per_uid)
		log_warn("%llu file descriptors: fewer than 8 uids can reach "
		    "limits.connections_per_uid (%zu); raise LimitNOFILE",
		    (unsigned long long)rl.rlim_cur,
		    config->limits.connections_per_uid);
	else
		log_debug("%llu file descriptors", (unsigned long long)
		    rl.rlim_cur);
}

static void
usage(void)
{
	fprintf(stderr, "usage: %s [-tv] [-c config] [-s socket]\n",
	    SECCTXD_NAME);
	exit(2);
}

/* The socket passed by systemd socket activation, or -1. */
static int
listen_fd_from_systemd(void)
{
	const char	*pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
	int		 fd = SD_LISTEN_FDS_START, flags;

	if (pid == NULL || fds == NULL || atol(pid) != (long)getpid())
		return (-1);
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	if (atoi(fds) != 1) {
		log_warn("LISTEN_FDS=%s: expected exactly one socket", fds);
		if (atoi(fds) < 1)
			return (-1);
	}
	if ((flags = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, flags | O_NONBLOCK) == -1 ||
	    fcntl(fd, F_SETFD, FD_CLOEXEC) == -1)
		return (-1);
	return (fd);
}

static void
signal_cb(evutil_socket_t sig, short what, void *arg)
{
	(void)what;
	(void)arg;
	log_info("signal %d: stopping", (int)sig);
	notify_send("STOPPING=1", "stopping");
	event_base_loopexit(base, NULL);
}

/* SIGHUP: reload_config() keeps the running configuration on failure. */
static void
reload_cb(evutil_socket_t sig, short what, void *arg)
{
	struct sc_err	err;

	(void)sig;
	(void)what;
	config_wrlock();
	reload_config(arg, &err);
	config_unlock();
}

#define MALLOC_MMAP_THRESHOLD	(4 * 1024 * 1024)
#define MALLOC_TRIM_THRESHOLD	(32 * 1024 * 1024)

int
main(int argc, char **argv)
{
	const char	*config_path = SECCTXD_CONFIG, *socket_path = NULL;
	struct event	*ev_term, *ev_int, *ev_hup;
	struct sc_err	 err;
	int		 ch, check = 0, verbose = 0, fd;

	while ((ch = getopt(argc, argv, "c:s:tv")) != -1) {
		switch (ch) {
		case 'c':
			config_path = optarg;
			break;
		case 's':
			socket_path = optarg;
			break;
		case 't':
			check = 1;
			break;
		case 'v':
			verbose = 1;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	log_init(verbose);
	/*
	 * Payloads of up to a megabyte come and go with every request: keep
	 * them on the heap rather than mapping and unmapping each one, and
	 * keep freed memory up to a bound instead of returning it at once.
	 */
	mallopt(M_MMAP_THRESHOLD, MALLOC_MMAP_THRESHOLD);
	mallopt(M_TRIM_THRESHOLD, MALLOC_TRIM_THRESHOLD);
	reserve_init();
	signal(SIGPIPE, SIG_IGN);
	signal(SIGHUP, SIG_IGN);	/* until the reload handler is in place */
	notify_init();
	OPENSSL_init_ssl(0, NULL);
	config_lock_init();
	if (context_global_init() != 0) {
		fprintf(stderr, "%s: out of memory\n", SECCTXD_NAME);
		return (1);
	}
	if (evthread_use_pthreads() != 0) {
		fprintf(stderr, "%s: libevent has no thread support\n",
		    SECCTXD_NAME);
		return (1);
	}

	if (config_load(config_path, &config, &err) != SEC_E_OK) {
		fprintf(stderr, "%s: %s\n", SECCTXD_NAME, err.msg);
		return (1);
	}
	if (check) {
		printf("%s: configuration OK: %zu credentials\n", config_path,
		    config->ncreds);
		config_free(config);
		return (0);
	}
	if (socket_path == NULL)
		socket_path = config->socket_path;
	raise_nofile();

	if ((base = event_base_new()) == NULL) {
		fprintf(stderr, "%s: cannot create the event loop\n",
		    SECCTXD_NAME);
		return (1);
	}
	if ((fd = listen_fd_from_systemd()) != -1)
		socket_path = "socket from systemd";
	else if ((fd = server_listen(socket_path, config->socket_mode,
	    &err)) == -1) {
		fprintf(stderr, "%s: %s\n", SECCTXD_NAME, err.msg);
		return (1);
	}
	if (pool_start(config->handshake_threads, &err) != 0 ||
	    shards_start(config->threads, &err) != 0 ||
	    server_start(base, fd, &err) != 0) {
		fprintf(stderr, "%s: %s\n", SECCTXD_NAME, err.msg);
		return (1);
	}
	ev_term = evsignal_new(base, SIGTERM, signal_cb, NULL);
	ev_int = evsignal_new(base, SIGINT, signal_cb, NULL);
	ev_hup = evsignal_new(base, SIGHUP, reload_cb, (void *)config_path);
	if (ev_term == NULL || ev_int == NULL || ev_hup == NULL ||
	    evsignal_add(ev_term, NULL) != 0 || evsignal_add(ev_int,
	    NULL) != 0 || evsignal_add(ev_hup, NULL) != 0) {
		fprintf(stderr, "%s: cannot handle signals\n", SECCTXD_NAME);
		return (1);
	}
	log_info("%s %s: listening on %s with %zu credentials, %d event "
	    "loops, %d handshake threads", SECCTXD_NAME, SECCTXD_VERSION,
	    socket_path, config->ncreds, config->threads,
	    config->handshake_threads);
	notify_send("READY=1", "serving %zu credentials", config->ncreds);

	event_base_dispatch(base);

	server_stop();
	shards_halt();
	pool_stop();
	shards_free();
	session_cache_clear();
	ticket_keys_clear();
	event_free(ev_term);
	event_free(ev_int);
	event_free(ev_hup);
	config_free(config);
	context_global_cleanup();
	event_base_free(base);
	notify_close();
	reserve_cleanup();
	log_info("stopped");
	return (0);
}
