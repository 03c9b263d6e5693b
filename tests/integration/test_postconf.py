"""test_postconf - bin/postconf on real main.cf and master.cf files.

Covers -n, -d, -e (and -n afterwards, comments kept, mode kept), -X, -#,
-h, -x, -M with selectors, unknown names (argument and in main.cf, with
suggestion), bad main.cf and master.cf lines (file:line, exit 1), loops,
MAIL_CONFIG, and the shipped files: conf/main.cf prints its settings and
mentions only known parameters, and docs/parameters.md lists exactly the
parameters of postconf -d.
"""

import os
import re
import shutil
import stat
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from postern_test import BINDIR, TOP, check, done, run  # noqa: E402

POSTCONF = os.path.join(BINDIR, "postconf")
WORK = tempfile.mkdtemp(prefix="test_postconf.")


def conf_dir(name, main_cf=None, master_cf=None):
    """A configuration directory with the given files."""
    path = os.path.join(WORK, name)
    os.makedirs(path, exist_ok=True)
    if main_cf is not None:
        with open(os.path.join(path, "main.cf"), "w") as f:
            f.write(main_cf)
    if master_cf is not None:
        with open(os.path.join(path, "master.cf"), "w") as f:
            f.write(master_cf)
    return path


def postconf(*args, env=None):
    return run([POSTCONF] + list(args), env=env, timeout=30)


def read(path):
    with open(path) as f:
        return f.read()


def logical_settings(text):
    """name -> value of a main.cf text, continuation lines joined."""
    out = {}
    name = None
    for line in text.split("\n"):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if line[0] in " \t":
            out[name] += " " + line.strip()
            continue
        name, _, value = line.partition("=")
        name = name.strip()
        out[name] = value.strip()
    return out


MAIN = """# site settings
myhostname = mail.example.com
queue_run_delay = 10m
smtpd_recipient_restrictions = permit_mynetworks,
    reject_unauth_destination
helper = $myhostname
smtp_helo_name = $helper
"""

MASTER = """# services
25        inet  n       -       n       -       -       smtpd
pickup    unix  n       -       n       60      1       pickup
bulk      unix  -       -       n       -       -       smtp
    -o minimal_backoff_time=30m -o { smtp_helo_name = bulk host }
"""


def test_show():
    d = conf_dir("show", MAIN, MASTER)
    r = postconf("-c", d, "-n")
    want = ("helper = $myhostname\nmyhostname = mail.example.com\n"
            "queue_run_delay = 10m\nsmtp_helo_name = $helper\n"
            "smtpd_recipient_restrictions = permit_mynetworks, reject_unauth_destination\n")
    check("-n prints main.cf settings sorted", r.returncode == 0 and r.stdout == want,
          r.stdout + r.stderr)
    check("-n has no warnings for a clean main.cf", r.stderr == "", r.stderr)
    r = postconf("-c", d, "-nx")
    check("-nx expands", "smtp_helo_name = mail.example.com\n" in r.stdout, r.stdout)
    r = postconf("-c", d, "-h", "queue_run_delay", "myorigin")
    check("-h prints values only", r.stdout == "10m\n$myhostname\n", r.stdout + r.stderr)
    r = postconf("-c", d, "-x", "myorigin", "mydomain", "mydestination")
    check("-x expands defaults against main.cf",
          r.stdout == "myorigin = mail.example.com\nmydomain = example.com\n"
          "mydestination = mail.example.com, localhost.example.com, localhost\n",
          r.stdout + r.stderr)
    r = postconf("-c", d, "relayhost", "no_such_param", "queue_run_delay")
    check("unknown name argument warns like Postfix",
          r.returncode == 0 and "postconf: warning: no_such_param: unknown parameter\n" in r.stderr
          and r.stdout == "relayhost = \nqueue_run_delay = 10m\n", r.stdout + r.stderr)
    r = postconf("-c", d)
    names = [line.split(" = ")[0] for line in r.stdout.splitlines()]
    check("no arguments prints all parameters sorted",
          r.returncode == 0 and names == sorted(names) and "helper" in names
          and "queue_run_delay = 10m" in r.stdout.splitlines() and len(names) > 300,
          r.stderr)
    r = postconf("-c", d, "-o", "queue_run_delay=1m", "queue_run_delay")
    check("-o overrides for this command", r.stdout == "queue_run_delay = 1m\n", r.stdout)
    r = postconf("queue_run_delay", env=dict(os.environ, MAIL_CONFIG=d))
    check("MAIL_CONFIG selects the directory", r.stdout == "queue_run_delay = 10m\n",
          r.stdout + r.stderr)


def test_defaults():
    d = conf_dir("defaults", MAIN)
    r = postconf("-c", d, "-d", "queue_run_delay", "maximal_queue_lifetime",
                 "smtpd_banner", "default_delivery_priority", "qmgr_priority_weights",
                 "smtpd_relay_restrictions", "syslog_name")
    want = ("queue_run_delay = 300s\nmaximal_queue_lifetime = 5d\n"
            "smtpd_banner = $myhostname ESMTP $mail_name\n"
            "default_delivery_priority = normal\n"
            "qmgr_priority_weights = high:8, normal:4, bulk:1\n"
            "smtpd_relay_restrictions = permit_mynetworks, permit_sasl_authenticated, "
            "defer_unauth_destination\n"
            "syslog_name = ${multi_instance_name?{$multi_instance_name}:{postern}}\n")
    check("-d prints defaults, not main.cf", r.stdout == want, r.stdout + r.stderr)
    r = postconf("-dx", "syslog_name", "smtpd_timeout")
    check("-dx expands defaults", r.stdout == "syslog_name = postern\nsmtpd_timeout = 300s\n",
          r.stdout + r.stderr)
    r = postconf("-dh", "daemon_directory", "command_directory")
    lines = r.stdout.splitlines()
    check("daemon_directory and command_directory default beside the program",
          len(lines) == 2 and lines[0] == os.path.join(os.path.dirname(BINDIR), "libexec")
          and lines[1] == BINDIR, r.stdout)


def test_edit():
    d = conf_dir("edit", MAIN)
    path = os.path.join(d, "main.cf")
    os.chmod(path, 0o640)
    r = postconf("-c", d, "-e", "relayhost = [smtp.example.com]:587",
                 "smtpd_recipient_restrictions=reject", "relay_minimal_backoff_time=60s")
    text = read(path)
    check("-e succeeds", r.returncode == 0 and r.stderr == "", r.stderr)
    check("-e keeps comments and order",
          text == "# site settings\nmyhostname = mail.example.com\nqueue_run_delay = 10m\n"
          "smtpd_recipient_restrictions = reject\nhelper = $myhostname\n"
          "smtp_helo_name = $helper\nrelayhost = [smtp.example.com]:587\n"
          "relay_minimal_backoff_time = 60s\n", text)
    check("-e keeps the file mode", stat.S_IMODE(os.stat(path).st_mode) == 0o640,
          oct(os.stat(path).st_mode))
    check("-e leaves no temporary file", os.listdir(d) == ["main.cf"], os.listdir(d))
    r = postconf("-c", d, "-n", "relayhost", "relay_minimal_backoff_time")
    check("-n shows the edited values",
          r.stdout == "relayhost = [smtp.example.com]:587\nrelay_minimal_backoff_time = 60s\n",
          r.stdout + r.stderr)
    r = postconf("-c", d, "-X", "relayhost", "helper")
    text = read(path)
    check("-X removes settings", r.returncode == 0 and "relayhost" not in text
          and "helper =" not in text and text.startswith("# site settings\n"), text)
    r = postconf("-c", d, "-#", "queue_run_delay")
    text = read(path)
    check("-# comments out", "\n#queue_run_delay = 10m\n" in text, text)
    r = postconf("-c", d, "-h", "queue_run_delay")
    check("commented-out setting falls back to the default", r.stdout == "300s\n", r.stdout)
    r = postconf("-c", d, "-e", "relayhost")
    check("-e without = is fatal", r.returncode == 1
          and "postconf: fatal: -e accepts only name=value arguments" in r.stderr, r.stderr)
    d2 = conf_dir("edit-new")
    r = postconf("-c", d2, "-e", "myhostname=new.example")
    check("-e creates a missing main.cf",
          r.returncode == 0 and read(os.path.join(d2, "main.cf")) == "myhostname = new.example\n",
          r.stderr)


def test_master():
    d = conf_dir("master", MAIN, MASTER)
    r = postconf("-c", d, "-M")
    want = ("25         inet  n       -       n       -       -       smtpd\n"
            "pickup     unix  n       -       n       60      1       pickup\n"
            "bulk       unix  -       -       n       -       -       smtp "
            "-o minimal_backoff_time=30m -o { smtp_helo_name = bulk host }\n")
    check("-M prints master.cf in columns", r.returncode == 0 and r.stdout == want,
          r.stdout + r.stderr)
    r = postconf("-c", d, "-M", "pickup/unix", "bulk")
    check("-M selects service/type and service",
          r.stdout == want.split("\n", 1)[1], r.stdout)
    r = postconf("-c", d, "-Mf", "bulk/unix")
    check("-Mf folds -o settings",
          r.stdout == "bulk       unix  -       -       n       -       -       smtp\n"
          "  -o minimal_backoff_time=30m\n  -o { smtp_helo_name = bulk host }\n", r.stdout)
    d2 = conf_dir("master-bad", MAIN, "# c\npickup unix n - n sixty 1 pickup\n")
    r = postconf("-c", d2, "-M")
    check("bad master.cf line gives file:line and exit 1",
          r.returncode == 1 and "postconf: fatal: %s/master.cf, line 2: bad wakeup field"
          % d2 in r.stderr, r.stderr)


def test_errors():
    d = conf_dir("unknown", MAIN + "myhostnme = x\nqueue_run_dealy = 5m\nminimum_backoff_time = 10m\n"
                 "bulk_destination_concurency_limit = 2\nbulk_destination_concurrency_limit = 2\n")
    r = postconf("-c", d, "-n")
    check("-n warns about unknown names with a suggestion",
          r.returncode == 0
          and "postconf: warning: %s/main.cf, line 8: unknown parameter myhostnme "
          "(did you mean myhostname?)\n" % d in r.stderr
          and "line 9: unknown parameter queue_run_dealy (did you mean queue_run_delay?)" in r.stderr
          and "line 11: unknown parameter bulk_destination_concurency_limit (did you mean "
          "bulk_destination_concurrency_limit?)" in r.stderr
          and "line 12" not in r.stderr, r.stderr)
    check("-n notes the alias", "line 10: minimum_backoff_time is accepted as an alias for "
          "minimal_backoff_time" in r.stderr, r.stderr)
    r = postconf("-c", d, "-x", "minimal_backoff_time")
    check("alias sets the Postfix name", r.stdout == "minimal_backoff_time = 10m\n", r.stdout)
    d = conf_dir("badline", "myhostname = a.example\n# c\nthis line is junk\n")
    r = postconf("-c", d, "-n")
    check("bad main.cf line gives file:line and exit 1",
          r.returncode == 1 and r.stderr == "postconf: fatal: %s/main.cf, line 3: missing '=' "
          "after parameter name: \"this line is junk\"\n" % d, r.stderr)
    d = conf_dir("loop", "a = $b\nb = ${a}\nsmtp_helo_name = $a\n")
    r = postconf("-c", d, "-x", "smtp_helo_name")
    check("-x reports an expansion loop", r.returncode == 1
          and "line 1: parameter a: expansion loop: $a -> $b -> $a" in r.stderr, r.stderr)
    d = conf_dir("badtime", "queue_run_delay = 10x\n")
    r = postconf("-c", d, "-x", "queue_run_delay")
    check("-x reports a bad time value with file and line", r.returncode == 1
          and "%s/main.cf, line 1: parameter queue_run_delay: bad time value \"10x\"" % d
          in r.stderr, r.stderr)
    r = postconf("-c", d, "queue_run_delay")
    check("without -x values are shown as written", r.stdout == "queue_run_delay = 10x\n",
          r.stdout + r.stderr)
    r = postconf("-Q")
    check("usage error exits 1", r.returncode == 1 and "usage:" in r.stderr, r.stderr)


def test_shipped():
    conf = os.path.join(TOP, "conf")
    text = read(os.path.join(conf, "main.cf"))
    r = postconf("-c", conf, "-n")
    want = "".join("%s = %s\n" % (k, v) for k, v in sorted(logical_settings(text).items()))
    check("postconf -c conf -n prints conf/main.cf's settings",
          r.returncode == 0 and r.stdout == want and want != "", r.stdout + r.stderr)
    check("conf/main.cf has no unknown parameters", r.stderr == "", r.stderr)
    r = postconf("-d")
    known = set(line.split(" = ")[0] for line in r.stdout.splitlines())
    commented = re.findall(r"^#([a-z0-9_-]+\s*=.*)$", text, re.M)
    d = conf_dir("shipped-comments", "\n".join(commented) + "\n")
    r2 = postconf("-c", d, "-n")
    check("conf/main.cf comments mention only known parameters",
          commented and r2.returncode == 0 and r2.stderr == "", r2.stderr)
    doc = read(os.path.join(TOP, "docs", "parameters.md"))
    documented = re.findall(r"^- `([A-Za-z0-9_]+)`", doc, re.M)
    check("docs/parameters.md lists every parameter once",
          set(documented) == known and len(documented) == len(known),
          "missing: %s\nextra: %s" % (sorted(known - set(documented)),
                                      sorted(set(documented) - known)))
    man = read(os.path.join(TOP, "docs", "man", "postconf.1.md"))
    used = set(re.findall(r"`([a-z0-9]+(?:_[a-z0-9]+)+)", man))
    aliases = {"minimum_backoff_time", "maximum_backoff_time"}
    per_service = {"relay_minimal_backoff_time", "bulk_destination_concurrency_limit"}
    check("docs/man/postconf.1.md names only known parameters",
          used and used <= known | aliases | per_service, sorted(used - known - aliases - per_service))
    r = postconf("-c", conf, "-M")
    services = [line.split()[0] + "/" + line.split()[1] for line in r.stdout.splitlines()]
    check("conf/master.cf parses and lists the Postern services",
          r.returncode == 0 and {"25/inet", "pickup/unix", "cleanup/unix", "qmgr/unix",
                                 "smtp/unix", "relay/unix", "local/unix", "bounce/unix",
                                 "defer/unix", "trace/unix", "error/unix", "retry/unix",
                                 "discard/unix", "showq/unix", "anvil/unix"} == set(services),
          r.stdout + r.stderr)


def main():
    if not os.access(POSTCONF, os.X_OK):
        check("postconf is built", False, POSTCONF)
        done()
    try:
        test_show()
        test_defaults()
        test_edit()
        test_master()
        test_errors()
        test_shipped()
    finally:
        shutil.rmtree(WORK, ignore_errors=True)
    done()


main()
