/*
 * privilege - the setgid submission group, held only around the spool
 * steps that need it, and process hygiene for programs a user can start.
 *
 * priv_init() must run first in main(): it lowers the effective group to
 * the real one, so argv, environment and stdin are always handled without
 * privilege.  priv_raise()/priv_lower() bracket the open, rename and unlink
 * calls in the intake directory; priv_drop() gives the group up for good
 * (-C, RELAYQ_CONFIG).  In a process that was not started setgid these are
 * all no-ops.
 */
#ifndef RELAYQ_PRIVILEGE_H
#define RELAYQ_PRIVILEGE_H

/* priv_init - lower the effective gid; remember whether we were setgid. */
void	priv_init(void);
/* priv_is_setid - were we started with an effective id not our own? */
int	priv_is_setid(void);
int	priv_raise(void);
int	priv_lower(void);
/* priv_drop - give up the saved group for good; exits on failure. */
void	priv_drop(void);
/* sanitize_stdio - make sure fds 0, 1 and 2 are open (on /dev/null), so
 * a file we open can never become someone's stdout. */
void	sanitize_stdio(void);
/* limit_core - no core dumps: they could hold message text or secrets.
 * Not dumpable also means the caller cannot trace us or read our /proc
 * entries; priv_raise/priv_lower and every id change undo it when
 * fs.suid_dumpable is not 0, so they set it again. */
void	limit_core(void);
/* close_other_fds - close every inherited descriptor above 2. */
void	close_other_fds(void);
/* raise_limits - soft limits a caller may have lowered to make us fail
 * halfway (CPU time, file size, memory, open files) go up to the hard
 * ones, and a file too large fails a write (EFBIG) instead of killing
 * us with SIGXFSZ. */
void	raise_limits(void);

#endif
