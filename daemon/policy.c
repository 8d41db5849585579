/* Who may use which credential. */

#include "secctxd.h"

int
policy_may_use(const struct cred *cred, const struct peer *peer)
{
	size_t	i;

	for (i = 0; i < cred->nuids; i++) {
		if (cred->uids[i] == peer->uid)
			return (1);
	}
	for (i = 0; i < cred->ngids; i++) {
		if (cred->gids[i] == peer->gid)
			return (1);
	}
	return (0);
}
