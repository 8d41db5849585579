/*
 * Who may use what: every access decision of the daemon (docs/SECURITY.md).
 * The caller's identity is what the kernel said at connect time (struct
 * peer); nothing here trusts a field the client sent except to compare it
 * with the configuration.
 */

#include <fnmatch.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "secctxd.h"
#include "escape.h"

/* The caller's policy when no entry of "callers" matches. */
static const struct caller_policy default_caller = {
	.min_version = TLS1_2_VERSION,
	.index = SIZE_MAX
};

static int
has_uid(const uid_t *uids, size_t n, uid_t uid)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		if (uids[i] == uid)
			return (1);
	}
	return (0);
}

/* The caller's primary gid or one of its supplementary groups is listed. */
static int
has_gid(const gid_t *gids, size_t n, const struct peer *peer)
{
	size_t	i, j;

	for (i = 0; i < n; i++) {
		if (gids[i] == peer->gid)
			return (1);
		for (j = 0; j < peer->ngroups; j++) {
			if (gids[i] == peer->groups[j])
				return (1);
		}
	}
	return (0);
}

int
policy_may_use(const struct cred *cred, const struct peer *peer)
{
	return (has_uid(cred->uids, cred->nuids, peer->uid) ||
	    has_gid(cred->gids, cred->ngids, peer));
}

static int
exe_allowed(const struct cred *cred, const struct peer *peer)
{
	size_t	i;

	if (cred->nexecutables == 0)
		return (1);
	if (peer->exe == NULL)
		return (0);
	for (i = 0; i < cred->nexecutables; i++) {
		if (strcmp(cred->executables[i], peer->exe) == 0)
			return (1);
	}
	return (0);
}

/*
 * May the caller acquire the credential for this direction?  The
 * executable's path is the caller's choice of bytes: escaped.
 */
secctx_status
policy_check_cred(const struct cred *cred, const struct peer *peer,
    enum direction dir, struct sc_err *err)
{
	char	exe[SC_ERR_MSGLEN];

	if (!policy_may_use(cred, peer))
		return (sc_seterr(err, SEC_E_NOT_OWNER, "uid %lu (gid %lu and "
		    "%zu supplementary groups) may not use credential '%s'",
		    (unsigned long)peer->uid, (unsigned long)peer->gid,
		    peer->ngroups, cred->name));
	if (cred->directions != 0 && (cred->directions & dir) == 0)
		return (sc_seterr(err, SEC_E_NOT_OWNER, "credential '%s' may "
		    "not be used for %s contexts", cred->name,
		    dir == DIR_INBOUND ? "inbound" : "outbound"));
	if (exe_allowed(cred, peer))
		return (SEC_E_OK);
	sc_escape_str(exe, sizeof(exe), peer->exe != NULL ? peer->exe :
	    "(unknown)");
	return (sc_seterr(err, SEC_E_NOT_OWNER, "executable %s may not use "
	    "credential '%s'", exe, cred->name));
}

/* The first entry of "callers" naming the caller, else the default. */
const struct caller_policy *
policy_caller(const struct config *cf, const struct peer *peer)
{
	const struct caller_policy	*cp;
	size_t				 i;

	for (i = 0; cf != NULL && i < cf->ncallers; i++) {
		cp = &cf->callers[i];
		if ((cp->nuids == 0 && cp->ngids == 0) ||
		    has_uid(cp->uids, cp->nuids, peer->uid) ||
		    has_gid(cp->gids, cp->ngids, peer))
			return (cp);
	}
	return (&default_caller);
}

static const char *
version_name(int v)
{
	return (v == TLS1_3_VERSION ? "TLSv1.3" : "TLSv1.2");
}

static int
target_allowed(const struct caller_policy *cp, const char *target)
{
	size_t	i;

	if (cp->ntargets == 0)
		return (1);
	if (target == NULL)
		return (0);
	for (i = 0; i < cp->ntargets; i++) {
		if (fnmatch(cp->targets[i], target, FNM_CASEFOLD) == 0)
			return (1);
	}
	return (0);
}

/*
 * Check a new context's parameters against the caller's policy and raise
 * its minimum version to the policy's.
 */
secctx_status
policy_check_context(const struct caller_policy *cp, enum direction dir,
    struct ctx_params *p, struct sc_err *err)
{
	char	target[SC_ERR_MSGLEN];

	if (p->max_version != 0 && p->max_version < cp->min_version)
		return (sc_seterr(err, SEC_E_ALGORITHM_MISMATCH, "max_version "
		    "%s is below the minimum %s this caller may use",
		    version_name(p->max_version),
		    version_name(cp->min_version)));
	if (p->min_version < cp->min_version)
		p->min_version = cp->min_version;
	if (dir != DIR_OUTBOUND)
		return (SEC_E_OK);
	if (!target_allowed(cp, p->target)) {
		sc_escape_str(target, sizeof(target), p->target != NULL ?
		    p->target : "(none)");
		return (sc_seterr(err, SEC_E_TARGET_UNKNOWN, "target '%s' is "
		    "not among the targets this caller may reach", target));
	}
	if (p->skip_validation && !cp->skip_validation)
		return (sc_seterr(err, SEC_E_NOT_OWNER, "this caller may not "
		    "skip certificate validation"));
	if (p->skip_validation)
		p->no_resume = 1;	/* never cache an unverified session */
	return (SEC_E_OK);
}

/*
 * A credential can forbid what a caller's policy allows: contexts that
 * leave the server's certificate to the application.
 */
secctx_status
policy_check_skip(const struct cred *cred, const struct ctx_params *p,
    struct sc_err *err)
{
	if (p->skip_validation && !cred->skip_ok)
		return (sc_seterr(err, SEC_E_NOT_OWNER, "credential '%s' may "
		    "not skip certificate validation", cred->name));
	return (SEC_E_OK);
}

/* Counters are for root and the daemon's own user. */
int
policy_may_read_stats(const struct peer *peer)
{
	return (peer->uid == 0 || peer->uid == geteuid());
}
