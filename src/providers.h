/*
 * providers - the smart host presets of relayq setup: one table (host,
 * port, TLS mode, regions, and what the user must supply), the same as
 * the one in relayq(8).
 */
#ifndef RELAYQ_PROVIDERS_H
#define RELAYQ_PROVIDERS_H

#include <stddef.h>
#include <stdio.h>

#include "conf.h"

/*
 * host may hold "%s" for the region (regions is then "*": any region name
 * will do); otherwise regions lists "name=host" pairs that --region picks
 * from, the first host being the default, or is NULL.
 */
struct provider {
	const char	*name;
	const char	*host;
	int		 port;
	enum tls_mode	 tls;
	const char	*regions;
	const char	*fixed_user;	/* always this user */
	int		 user_is_secret;	/* the token is both */
	int		 from_is_user;	/* the relay takes only that sender */
	const char	*need;
};

/* provider_find - the preset called name, or NULL. */
const struct provider *provider_find(const char *name);

/* provider_list - the table as relayq setup --list-providers prints it. */
void	provider_list(FILE *out);

/* provider_host - p's host for region into out; -1 with why when p has
 * no such region or it is not a region name. */
int	provider_host(const struct provider *p, const char *region, char *out,
	    size_t len, char *why, size_t whylen);

#endif
