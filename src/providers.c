/*
 * providers - the presets of relayq setup; see providers.h.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "providers.h"
#include "util.h"

/* The same table as in relayq(8): change both. */
static const struct provider providers[] = {
	{ "gmail", "smtp.gmail.com", 587, TLS_MODE_STARTTLS, NULL, NULL, 0, 0,
	  "your Gmail address and an app password (2-step verification on); "
	  "for OAuth2, --password-command CMD --auth xoauth2 (or oauthbearer)" },
	{ "microsoft365", "smtp.office365.com", 587, TLS_MODE_STARTTLS, NULL,
	  NULL, 0, 0,
	  "the mailbox address; OAuth2 recommended: --password-command CMD "
	  "--auth xoauth2 (a password needs SMTP AUTH enabled for the mailbox)" },
	{ "outlook", "smtp-mail.outlook.com", 587, TLS_MODE_STARTTLS, NULL,
	  NULL, 0, 0,
	  "your Outlook.com address and its password or an app password; "
	  "OAuth2 as for microsoft365" },
	{ "fastmail", "smtp.fastmail.com", 465, TLS_MODE_IMPLICIT, NULL, NULL,
	  0, 0, "your Fastmail address and an app password" },
	{ "icloud", "smtp.mail.me.com", 587, TLS_MODE_STARTTLS, NULL, NULL, 0,
	  1, "your iCloud address (also made the sender, which iCloud "
	  "requires) and an app-specific password" },
	{ "zoho", "smtp.zoho.com", 465, TLS_MODE_IMPLICIT,
	  "com=smtp.zoho.com eu=smtp.zoho.eu in=smtp.zoho.in", NULL, 0, 0,
	  "your Zoho address and its password or an app password; --region "
	  "eu or in for those data centres" },
	{ "ses", "email-smtp.%s.amazonaws.com", 587, TLS_MODE_STARTTLS, "*",
	  NULL, 0, 0,
	  "--region (e.g. eu-west-1) and the SMTP credentials made in the "
	  "SES console (not an AWS access key)" },
	{ "mailgun", "smtp.mailgun.org", 587, TLS_MODE_STARTTLS,
	  "us=smtp.mailgun.org eu=smtp.eu.mailgun.org", NULL, 0, 0,
	  "the domain's SMTP login (e.g. postmaster@mg.example.org) and its "
	  "SMTP password; --region eu for an EU domain" },
	{ "sendgrid", "smtp.sendgrid.net", 587, TLS_MODE_STARTTLS, NULL,
	  "apikey", 0, 0,
	  "an API key as the secret; the user is always apikey" },
	{ "postmark", "smtp.postmarkapp.com", 587, TLS_MODE_STARTTLS, NULL,
	  NULL, 1, 0,
	  "an SMTP token's Access Key as user and Secret Key as secret; or the "
	  "server API token, given once as the secret, for both (then "
	  "relayq.conf holds it and only root can send mail)" },
	{ "brevo", "smtp-relay.brevo.com", 587, TLS_MODE_STARTTLS, NULL, NULL,
	  0, 0, "your Brevo SMTP login and an SMTP key" },
	{ "generic", NULL, 587, TLS_MODE_STARTTLS, NULL, NULL, 0, 0,
	  "--host; port 587 with STARTTLS, or 465 with TLS; user and secret "
	  "if the relay wants AUTH" },
};

const struct provider *
provider_find(const char *name)
{
	size_t	i;

	for (i = 0; i < ARRAY_LEN(providers); i++)
		if (strcmp(providers[i].name, name) == 0)
			return &providers[i];
	return NULL;
}

void
provider_list(FILE *out)
{
	size_t	i;

	fprintf(out, "%-13s %-32s %-5s %-9s %s\n", "PROVIDER", "HOST", "PORT",
	    "TLS", "YOU SUPPLY");
	for (i = 0; i < ARRAY_LEN(providers); i++) {
		const struct provider *p = &providers[i];
		char host[64];

		snprintf(host, sizeof(host), "%s", p->host == NULL ? "(--host)" :
		    strcmp(p->name, "ses") == 0 ? "email-smtp.REGION.amazonaws.com"
		    : p->host);
		fprintf(out, "%-13s %-32s %-5d %-9s %s\n", p->name, host,
		    p->port, tls_mode_name(p->tls), p->need);
	}
}

/* Region names as the providers spell them: eu, eu-west-1. */
static int
region_ok(const char *r)
{
	size_t	len = strlen(r);

	if (len == 0 || len > 32)
		return 0;
	for (; *r; r++)
		if (!((*r >= 'a' && *r <= 'z') || (*r >= '0' && *r <= '9') ||
		    *r == '-'))
			return 0;
	return 1;
}

int
provider_host(const struct provider *pr, const char *region, char *out,
    size_t len, char *why, size_t whylen)
{
	const char	*p = pr->regions, *end;
	size_t		 rlen = strlen(region);

	if (p == NULL) {
		snprintf(why, whylen, "%s has no regions", pr->name);
		return -1;
	}
	if (!region_ok(region)) {
		snprintf(why, whylen, "'%.40s' is not a region name (e.g. "
		    "eu-west-1)", region);
		return -1;
	}
	if (strcmp(p, "*") == 0) {
		/* The one template, "...%s...": split at the %s. */
		end = strstr(pr->host, "%s");
		snprintf(out, len, "%.*s%s%s", (int)(end - pr->host), pr->host,
		    region, end + 2);
		return 0;
	}
	while (*p) {
		end = strchr(p, ' ');
		if (end == NULL)
			end = p + strlen(p);
		if (strncmp(p, region, rlen) == 0 && p[rlen] == '=') {
			snprintf(out, len, "%.*s", (int)(end - p -
			    (ptrdiff_t)rlen - 1), p + rlen + 1);
			return 0;
		}
		p = *end ? end + 1 : end;
	}
	snprintf(why, whylen, "%s has no region '%.40s' (%s)", pr->name,
	    region, pr->regions);
	return -1;
}
