/*
 * conf - the relayq.conf file: the only module that includes <confuse.h>.
 *
 * conf_load() turns a file into an immutable struct config or fails with
 * one line "FILE:LINE: what is wrong".  A missing file at the compiled-in
 * path is not an error (relayq then queues mail and waits for a smart
 * host); a missing file named by -C or RELAYQ_CONFIG is.
 *
 * Secrets are not read here: conf_read_secret() is called by the queue
 * runner alone, just before it authenticates, and refuses a secret that
 * anyone but root and the runner's group can read.
 */
#ifndef RELAYQ_CONF_H
#define RELAYQ_CONF_H

#include <stdint.h>
#include <sys/types.h>

enum tls_mode {
	TLS_MODE_STARTTLS,
	TLS_MODE_IMPLICIT,
	TLS_MODE_NONE,
};

/* SMTP AUTH mechanisms; auth.h says which may be used when. */
enum auth_mech {
	AUTH_AUTO,		/* the strongest password mechanism offered */
	AUTH_PLAIN,
	AUTH_LOGIN,
	AUTH_CRAM_MD5,
	AUTH_SCRAM_SHA_256,
	AUTH_SCRAM_SHA_256_PLUS,
	AUTH_XOAUTH2,
	AUTH_OAUTHBEARER,
	AUTH_NMECHS
};

#define CONF_PIN_LEN	32	/* SHA-256; the same as TLS_PIN_LEN */

/*
 * TLS policy, per smart host (all fail closed):
 *   tls_verify		chain and host name are verified; false only by
 *			explicit choice, and then every delivery is marked
 *			(conf_tls_warning) and relayq check warns.
 *   tls_pins		from tls_fingerprint: the SHA-256 of the relay's
 *			leaf certificate (DER) or of its SubjectPublicKeyInfo
 *			(DER), either one matching is enough; required in
 *			addition to tls_verify, or alone without it.
 *   tls_priorities	a GnuTLS priority string (NULL: the built-in
 *			default); versions before TLS 1.2 are always removed.
 *			Checked at load time by tls_priorities_ok() where the
 *			program has TLS in it (see conf.c).
 *   tls_cert_file, tls_key_file	a client certificate, both or
 *			neither; the key is read with conf_read_tls_key().
 * None of them is allowed with tls = none.
 */
struct smarthost {
	char		*host;
	int		 port;
	enum tls_mode	 tls;
	char		*tls_trust_file;	/* NULL: the system store */
	int		 tls_verify;
	size_t		 ntls_pins;
	unsigned char	(*tls_pins)[CONF_PIN_LEN];
	char		*tls_priorities;	/* NULL: the default */
	char		*tls_cert_file;		/* NULL: no client certificate */
	char		*tls_key_file;
	char		*user;			/* NULL: no AUTH */
	char		*password;		/* inline secret, or NULL */
	char		*password_file;
	char		*password_command;	/* run by the runner for it */
	enum auth_mech	 auth;
	int		 timeout;		/* seconds, per I/O step */
};

enum rewrite_from {
	REWRITE_FROM_NEVER,
	REWRITE_FROM_LOCAL,	/* only a local From: address */
	REWRITE_FROM_ALWAYS,
};

struct config {
	char		*path;
	int		 file_found;
	char		*queue_dir;
	char		*domain;	/* NULL: /etc/mailname or host name */
	char		*helo_name;	/* NULL: the domain */
	uint64_t	 max_message_size;
	int64_t		 retry_min;	/* seconds */
	int64_t		 retry_max;
	int64_t		 lifetime;
	int		 messages_per_connection;
	int		 max_connections;	/* parallel sessions */
	int		 bounce_limit;		/* bounces per hour */
	int64_t		 delay_warning;		/* seconds; 0: none */
	char		*aliases;	/* NULL: none */
	char		*admin;		/* catch-all for local recipients */
	char		*from;		/* forced envelope sender */
	enum rewrite_from rewrite_from_header;
	int		 rewrite_to_header;
	size_t		 nlocal_domains;
	char		**local_domains;
	size_t		 nsmarthosts;
	struct smarthost *smarthosts;
};

/* conf_load - parse path into cf.  must_exist: a missing file is an error.
 * Returns 0, or -1 with the reason in why and nothing left to free. */
int	conf_load(const char *path, int must_exist, struct config *cf,
	    char *why, size_t whylen);
void	conf_free(struct config *cf);

/* conf_read_secret - the password of sh, from password or password_file,
 * refused unless only root and runner_gid can read where it came from.
 * The caller wipes and frees *secret. */
int	conf_read_secret(const struct config *cf, const struct smarthost *sh,
	    gid_t runner_gid, char **secret, char *why, size_t whylen);

/* conf_read_tls_key - the PEM client key of sh into *pem (*len bytes,
 * NUL-terminated), refused unless the file passes the password file's
 * checks (regular, owned by root or the runner, readable by root and
 * runner_gid only).  The caller wipes and frees *pem. */
int	conf_read_tls_key(const struct smarthost *sh, gid_t runner_gid,
	    char **pem, size_t *len, char *why, size_t whylen);

/* conf_tls_warning - "" for a verified relay, else a marker such as
 * " (TLS NOT VERIFIED)" to append to every mention of the relay. */
const char *conf_tls_warning(const struct smarthost *sh);

/* conf_domain - the domain for unqualified addresses and Message-IDs. */
const char *conf_domain(struct config *cf);

const char *tls_mode_name(enum tls_mode);
/* auth_mech_name - the SASL name ("SCRAM-SHA-256-PLUS"), or "auto". */
const char *auth_mech_name(enum auth_mech);
/* auth_mech_cleartext - does the mechanism hand the relay the secret
 * itself (PLAIN, LOGIN, XOAUTH2, OAUTHBEARER)? */
int	auth_mech_cleartext(enum auth_mech);

/* conf_parse_duration - "90", "90s", "5m", "2h", "5d" (at most 100
 * years) as seconds, as the configuration's durations are read; 0 or -1. */
int	conf_parse_duration(const char *value, int64_t *seconds);

#endif
