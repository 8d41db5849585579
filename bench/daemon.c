/*
 * A private secctxd for one case: its configuration in the temporary
 * directory (socket mode 0600, the server and client credentials over the
 * generated PKI once per records mode, limits raised for the scale case),
 * and an OpenSSL configuration file ($OPENSSL_CONF, system_default) that
 * forces the same cipher suite and group the in-process side sets through
 * the API.  The daemon's /proc entries give its resident memory,
 * descriptors, CPU time and the bytes it read.
 */

#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

static void
sleep_ms(int ms)
{
	struct timespec	ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

const char *
mode_name(enum rec_mode m)
{
	return (m == MODE_DAEMON ? "daemon" : "process");
}

/* The name of credential 'base' whose records are protected per m. */
void
cred_name(char *buf, size_t len, const char *base, enum rec_mode m)
{
	snprintf(buf, len, "%s%s", base, m == MODE_DAEMON ?
	    DAEMON_RECORDS_SUFFIX : "");
}

/*
 * A credential's own TLS 1.2 cipher string takes the place of the system
 * configuration's CipherString: a TLS 1.2 profile's cipher is named in it.
 */
static void
write_cred(FILE *f, const char *base, enum rec_mode m, const char *cert,
    const char *key, const char *ca, const struct tls_profile *p, int last)
{
	char	name[64];

	cred_name(name, sizeof(name), base, m);
	fprintf(f, "    {\"name\": \"%s\", \"certificate\": \"%s\", "
	    "\"private_key\": \"%s\", \"ca_file\": \"%s\", \"records\": "
	    "\"%s\", ", name, cert, key, ca, mode_name(m));
	if (p->version == TLS1_2_VERSION)
		fprintf(f, "\"ciphers\": \"%s\", ", p->cipher);
	fprintf(f, "\"uids\": [%u]}%s\n", (unsigned)getuid(),
	    last ? "" : ",");
}

/* Every credential once per records mode. */
static int
write_config(const struct daemon *d, const struct pki *pki,
    const struct tls_profile *p)
{
	FILE	*f;
	int	 m;

	if ((f = fopen(d->config, "w")) == NULL)
		return (-1);
	fprintf(f, "{\n  \"socket\": \"%s\",\n  \"socket_mode\": \"0600\",\n"
	    "  \"credentials\": [\n", d->socket);
	for (m = 0; m < NMODES; m++) {
		write_cred(f, "server-ec", m, pki->ec_cert, pki->ec_key,
		    pki->ca, p, 0);
		write_cred(f, "server-rsa", m, pki->rsa_cert, pki->rsa_key,
		    pki->ca, p, 0);
		write_cred(f, "client", m, pki->client_cert, pki->client_key,
		    pki->ca, p, m == NMODES - 1);
	}
	fprintf(f, "  ],\n  \"limits\": {\"contexts_per_connection\": 1048576,"
	    " \"connections_per_uid\": 1048576, \"total_contexts\": 16777216}"
	    "\n}\n");
	return (fclose(f) == 0 ? 0 : -1);
}

/*
 * The daemon has no per-context cipher option: OpenSSL's system_default
 * section applies to every SSL_CTX it makes (the TLS 1.3 suites and the
 * groups; TLS 1.2 ciphers are the credential's, above).
 */
static int
write_sslconf(const struct daemon *d, const struct tls_profile *p)
{
	FILE	*f;

	if ((f = fopen(d->sslconf, "w")) == NULL)
		return (-1);
	fprintf(f, "openssl_conf = openssl_init\n[openssl_init]\n"
	    "ssl_conf = ssl_sect\n[ssl_sect]\n"
	    "system_default = system_default_sect\n"
	    "[system_default_sect]\n");
	if (p->version == TLS1_3_VERSION)
		fprintf(f, "Ciphersuites = %s\n", p->cipher);
	else
		fprintf(f, "CipherString = %s\n", p->cipher);
	fprintf(f, "Groups = %s\n", p->groups);
	return (fclose(f) == 0 ? 0 : -1);
}

static int
unix_connect(const char *path)
{
	struct sockaddr_un	sun;
	int			fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path))
		return (-1);
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return (-1);
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		close(fd);
		return (-1);
	}
	return (fd);
}

int
daemon_start(struct daemon *d, const char *binary, const char *dir,
    const struct pki *pki, const struct tls_profile *p, char *err)
{
	double	deadline;
	pid_t	pid;
	int	fd, status;

	memset(d, 0, sizeof(*d));
	snprintf(d->socket, sizeof(d->socket), "%s/secctxd.sock", dir);
	snprintf(d->config, sizeof(d->config), "%s/secctxd.json", dir);
	snprintf(d->log, sizeof(d->log), "%s/secctxd.log", dir);
	snprintf(d->sslconf, sizeof(d->sslconf), "%s/openssl.cnf", dir);
	if (strlen(d->socket) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
		seterr(err, "socket path %s is too long (TMPDIR)", d->socket);
		return (-1);
	}
	if (write_config(d, pki, p) != 0 || write_sslconf(d, p) != 0) {
		seterr(err, "cannot write the daemon's configuration in %s: %s",
		    dir, strerror(errno));
		return (-1);
	}
	fflush(NULL);
	if ((pid = fork()) == -1) {
		seterr(err, "fork: %s", strerror(errno));
		return (-1);
	}
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if ((fd = open(d->log, O_WRONLY | O_CREAT | O_TRUNC,
		    0600)) == -1)
			_exit(126);
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		setenv("OPENSSL_CONF", d->sslconf, 1);
		execl(binary, "secctxd", "-c", d->config, (char *)NULL);
		fprintf(stderr, "exec %s: %s\n", binary, strerror(errno));
		_exit(127);
	}
	d->pid = pid;
	deadline = now_sec() + 10;
	while (now_sec() < deadline) {
		if (waitpid(pid, &status, WNOHANG) == pid) {
			d->pid = 0;
			seterr(err, "secctxd exited at start (status 0x%x), "
			    "see %s", status, d->log);
			daemon_log_tail(d, 10);
			return (-1);
		}
		if ((fd = unix_connect(d->socket)) != -1) {
			close(fd);
			return (0);
		}
		sleep_ms(5);
	}
	seterr(err, "secctxd did not listen on %s within 10 s", d->socket);
	daemon_stop(d);
	return (-1);
}

void
daemon_stop(struct daemon *d)
{
	double	deadline;
	int	status;

	if (d->pid == 0)
		return;
	kill(d->pid, SIGTERM);
	deadline = now_sec() + 10;
	while (waitpid(d->pid, &status, WNOHANG) != d->pid) {
		if (now_sec() > deadline) {
			kill(d->pid, SIGKILL);
			waitpid(d->pid, &status, 0);
			break;
		}
		sleep_ms(5);
	}
	d->pid = 0;
}

void
daemon_log_tail(const struct daemon *d, int lines)
{
	char	 buf[8192];
	FILE	*f;
	size_t	 n;
	long	 size;
	char	*p;
	int	 k = 0;

	if ((f = fopen(d->log, "r")) == NULL)
		return;
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	fseek(f, size > (long)sizeof(buf) - 1 ? size - (long)sizeof(buf) + 1 :
	    0, SEEK_SET);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = buf + n;
	while (p > buf && k <= lines)
		if (*--p == '\n')
			k++;
	fprintf(stderr, "---- %s (tail) ----\n%s\n", d->log, p);
}

long
proc_rss_kib(pid_t pid)
{
	char	 path[64], line[256];
	FILE	*f;
	long	 kib = -1;

	snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
	if ((f = fopen(path, "r")) == NULL)
		return (-1);
	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "VmRSS: %ld kB", &kib) == 1)
			break;
	}
	fclose(f);
	return (kib);
}

/* CPU time (user + system) of a process, in seconds; -1 if unknown. */
double
proc_cpu_sec(pid_t pid)
{
	char			 path[64], buf[1024], *p;
	unsigned long long	 ut, st;
	FILE			*f;
	size_t			 n;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	if ((f = fopen(path, "r")) == NULL)
		return (-1);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* After "pid (comm) ": state is field 3, utime 14, stime 15. */
	if ((p = strrchr(buf, ')')) == NULL || sscanf(p + 2,
	    "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut,
	    &st) != 2)
		return (-1);
	return ((double)(ut + st) / sysconf(_SC_CLK_TCK));
}

/* Bytes a process read through read(2) and its kind: /proc/PID/io rchar. */
long
proc_read_bytes(pid_t pid)
{
	char	 path[64], line[128];
	FILE	*f;
	long	 n = -1;

	snprintf(path, sizeof(path), "/proc/%ld/io", (long)pid);
	if ((f = fopen(path, "r")) == NULL)
		return (-1);
	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "rchar: %ld", &n) == 1)
			break;
	}
	fclose(f);
	return (n);
}

int
proc_fd_count(pid_t pid)
{
	char		 path[64];
	DIR		*dir;
	struct dirent	*e;
	int		 n = 0;

	snprintf(path, sizeof(path), "/proc/%ld/fd", (long)pid);
	if ((dir = opendir(path)) == NULL)
		return (-1);
	while ((e = readdir(dir)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(dir);
	return (n);
}
