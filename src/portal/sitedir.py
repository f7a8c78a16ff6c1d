"""Put a freshly built site in place of the published one, never leaving the folder missing or half-written.

The build goes into a temporary folder beside the site (``.site.new-<pid>-<random>``). When it is complete,
one ``renameat2(RENAME_EXCHANGE)`` swaps it with the site folder, so that at every moment the site folder
holds either the whole old site or the whole new one; the old tree, now in the temporary folder, is then
removed. Where the exchange is not supported, two renames are used instead, and a run that was killed
between them is repaired by the next one (the old site is renamed back).

A lock file beside the site (``.site.lock``, flock) is held for the whole build and swap: builds into one
folder take turns, a second one waits a bounded time and then says that another build is running; while it
holds the lock a build removes what killed builds left behind (their temporary folders, named with their
pid, are never those of a live process). A site folder that is a mount point cannot be renamed: the build
then goes into a temporary folder inside it and the entries are exchanged one by one, the old ones kept
until the new site is complete. A failure to write (a full disk, a read-only folder …) becomes one message,
the old site left as it was and the temporary folder removed.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from portal.i18n import MESSAGES, message

try:
    import fcntl
except ImportError:  # not on POSIX: builds are not serialised there
    fcntl = None  # type: ignore[assignment]


LOCK_WAIT = 300.0  # seconds a build waits for another build into the same folder
LEGACY_AGE = 3600.0  # leftovers named without a pid (older versions) are removed once this old
AT_FDCWD = -100
RENAME_EXCHANGE = 2
#: errno values that say the exchange is not available here (old kernel or libc, a file system without it).
UNSUPPORTED = {errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP, errno.ENOTSUP}
#: errno values of a rename that cannot move the folder itself: a mount point, another file system.
IN_PLACE = {errno.EBUSY, errno.EXDEV}


class SiteDirError(Exception):
    """The site could not be put in place; the message says why, for the user. The old site is intact."""


def text(lang: str, code: str, **params: object) -> str:
    return message(lang, code, params)


def publish(site_dir: Path, build: Callable[[Path], None], *, lang: str = "zh", wait: float = LOCK_WAIT,
            notify: Callable[[str], None] | None = None) -> None:
    """Run ``build(folder)`` into a new temporary folder, then put that folder's contents in place of ``site_dir``.

    Raises SiteDirError (the old site intact, the temporary folder removed) when the folder cannot be written,
    or when another build holds the folder for longer than ``wait`` seconds; whatever ``build`` raises
    otherwise passes through, after the temporary folder is removed.
    """
    site_dir = Path(os.path.abspath(site_dir))
    say = notify or (lambda line: print(line, file=sys.stderr))
    tmp: Path | None = None
    try:
        site_dir.parent.mkdir(parents=True, exist_ok=True)
        with _locked(site_dir, lang, wait, say):
            in_place = os.path.ismount(site_dir)
            clean_leftovers(site_dir)
            tmp = Path(tempfile.mkdtemp(prefix=f"{new_prefix(site_dir)}{os.getpid()}-",
                                        dir=site_dir if in_place else site_dir.parent))
            build(tmp)
            if in_place:
                replace_contents(site_dir, tmp)
            else:
                os.chmod(tmp, dir_mode())
                swap(tmp, site_dir)
            tmp = None  # swapped in and removed: nothing left to clean
    except OSError as err:
        raise SiteDirError(os_error_message(err, site_dir, lang)) from None
    finally:
        if tmp is not None:
            _remove(tmp)


def new_prefix(site_dir: Path) -> str:
    return f".{site_dir.name}.new-"


def old_prefix(site_dir: Path) -> str:
    return f".{site_dir.name}.old-"


def lock_path(site_dir: Path) -> Path:
    return site_dir.with_name(f".{site_dir.name}.lock")


def dir_mode() -> int:
    """The mode a new folder gets from the umask: 0o777 & ~umask (mkdtemp's folders are 0o700)."""
    return 0o777 & ~_umask()


def _umask() -> int:
    with contextlib.suppress(OSError, ValueError), open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    mask = os.umask(0o022)  # no /proc: read it by setting it, then put it back
    os.umask(mask)
    return mask


# --- the lock ---------------------------------------------------------------------------------------------------


@contextlib.contextmanager
def _locked(site_dir: Path, lang: str, wait: float, say: Callable[[str], None]) -> Iterator[None]:
    """Hold the folder's lock file (flock, released by the kernel when the process dies, however it dies)."""
    if fcntl is None:
        yield
        return
    fd = os.open(lock_path(site_dir), os.O_RDWR | os.O_CREAT, 0o666)  # not inherited (PEP 446)
    try:
        deadline = time.monotonic() + wait
        told = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                params = {"pid": _holder(fd), "site": site_dir, "seconds": f"{wait:g}"}
                if time.monotonic() >= deadline:
                    raise SiteDirError(text(lang, "site_busy", **params)) from None
                if not told:
                    say(text(lang, "site_busy_wait", **params))
                    told = True
                time.sleep(min(0.1, max(0.0, deadline - time.monotonic())))
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)  # who holds it, for the message of the one that waits
        yield
    finally:
        os.close(fd)  # releases the lock


def _holder(fd: int) -> str:
    with contextlib.suppress(OSError, ValueError):
        return os.pread(fd, 32, 0).decode("ascii").strip() or "?"
    return "?"


# --- what killed builds left ------------------------------------------------------------------------------------


def clean_leftovers(site_dir: Path) -> None:
    """Remove temporary folders of builds that were killed; put back a site a killed two-rename swap moved away.

    Call with the lock held. A folder named with the pid of a live process other than this one is left alone.
    """
    new, old = new_prefix(site_dir), old_prefix(site_dir)
    places = [site_dir.parent] + ([site_dir] if site_dir.is_dir() and not site_dir.is_symlink() else [])
    olds: list[Path] = []
    for place in places:
        for name in os.listdir(place):
            path = place / name
            if name.startswith((new, old)):
                pid = name[len(new if name.startswith(new) else old):].partition("-")[0]
                if not pid.isdigit():  # named by an older version, without its pid
                    if _age(path) < LEGACY_AGE:
                        continue
                elif _alive(int(pid)):
                    continue
                if name.startswith(old) and place == site_dir.parent:
                    olds.append(path)
                else:
                    _remove(path)
            elif place == site_dir.parent and name == f".{site_dir.name}.old":  # older versions' name
                olds.append(path)
    if olds and not os.path.lexists(site_dir):
        # killed between the two renames of the fallback swap: the old site is complete, put it back
        newest = max(olds, key=_age_key)
        os.rename(newest, site_dir)
        olds.remove(newest)
    for path in olds:
        _remove(path)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return False  # ours, from an earlier call that did not finish: nobody is using it now
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _age(path: Path) -> float:
    try:
        return time.time() - path.lstat().st_mtime
    except OSError:
        return 0.0


def _age_key(path: Path) -> float:
    return -_age(path)


def _remove(path: Path) -> None:
    """Remove a folder or a file, as far as it can be removed."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(OSError):
            path.unlink()


# --- the swap ---------------------------------------------------------------------------------------------------


def exchange(a: Path, b: Path) -> None:
    """Swap two paths atomically (Linux renameat2 RENAME_EXCHANGE); OSError with ENOSYS where unavailable."""
    func = _renameat2()
    if func is None:
        raise OSError(errno.ENOSYS, "renameat2 is not available", str(a))
    if func(AT_FDCWD, os.fsencode(a), AT_FDCWD, os.fsencode(b), RENAME_EXCHANGE) != 0:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code), str(a), None, str(b))


_RENAMEAT2: list[Callable[..., int] | None] = []


def _renameat2() -> Callable[..., int] | None:
    if not _RENAMEAT2:
        func = None
        if sys.platform.startswith("linux"):
            try:
                func = ctypes.CDLL(None, use_errno=True).renameat2
                func.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
                func.restype = ctypes.c_int
            except (OSError, AttributeError):  # a libc older than glibc 2.28 or musl 1.2.4
                func = None
        _RENAMEAT2.append(func)
    return _RENAMEAT2[0]


def swap(new: Path, site_dir: Path) -> None:
    """Put the folder ``new`` in place of ``site_dir`` (which need not exist); ``new`` is gone afterwards."""
    if not os.path.lexists(site_dir):
        os.rename(new, site_dir)
        return
    try:
        exchange(new, site_dir)
    except OSError as err:
        if err.errno in IN_PLACE:
            replace_contents(site_dir, new)
            return
        if err.errno not in UNSUPPORTED:
            raise
        _two_renames(new, site_dir)
        return
    _remove(new)  # holds the old site now


def _two_renames(new: Path, site_dir: Path) -> None:
    """Without the exchange: move the old site aside, move the new one in. A kill between the two leaves the
    old site complete beside, and the next run puts it back (clean_leftovers)."""
    old = Path(tempfile.mkdtemp(prefix=f"{old_prefix(site_dir)}{os.getpid()}-", dir=site_dir.parent))
    old.rmdir()  # only the unique name is wanted
    try:
        os.rename(site_dir, old)
    except OSError as err:
        if err.errno in IN_PLACE:
            replace_contents(site_dir, new)
            return
        raise
    try:
        os.rename(new, site_dir)
    except BaseException:
        os.rename(old, site_dir)
        raise
    _remove(old)


def replace_contents(site_dir: Path, new: Path) -> None:
    """Replace what is in ``site_dir`` by what is in ``new``, entry by entry, for a folder that cannot be moved
    (a mount point). Nothing old is removed before the new site is complete; ``new`` is gone afterwards."""
    staging = new
    if new.parent != site_dir:  # bring the new site inside the folder, so that every move below is a rename
        staging = Path(tempfile.mkdtemp(prefix=f"{new_prefix(site_dir)}{os.getpid()}-", dir=site_dir))
        try:
            os.rename(new, staging)  # replaces the empty folder
        except OSError as err:
            if err.errno != errno.EXDEV:
                _remove(staging)
                raise
            try:
                shutil.copytree(new, staging, dirs_exist_ok=True)
            except BaseException:
                _remove(staging)
                raise
            _remove(new)
    try:
        os.chmod(staging, dir_mode())
        incoming = set(os.listdir(staging))
        for name in sorted(incoming):
            _put(staging / name, site_dir / name, staging)
        ours = (new_prefix(site_dir), old_prefix(site_dir))
        for name in os.listdir(site_dir):
            if name not in incoming and not name.startswith(ours):
                os.rename(site_dir / name, staging / name)  # no longer part of the site
    finally:
        _remove(staging)


def _put(src: Path, dst: Path, staging: Path) -> None:
    """Move ``src`` to ``dst``; whatever was at ``dst`` ends up in ``staging`` under its name."""
    if not os.path.lexists(dst):
        os.rename(src, dst)
        return
    try:
        exchange(src, dst)
        return
    except OSError as err:
        if err.errno not in UNSUPPORTED:
            raise
    aside = staging / f".old-{src.name}"
    os.rename(dst, aside)
    os.rename(src, dst)


# --- messages ---------------------------------------------------------------------------------------------------


def os_error_message(err: OSError, site_dir: Path, lang: str) -> str:
    """One sentence for an OSError met while writing a site (or a snapshot) into ``site_dir``: a full disk, or why."""
    if err.errno in (errno.ENOSPC, errno.EDQUOT):  # the file named is often the source of a copy: name the site
        return text(lang, "site_no_space", path=site_dir)
    path = err.filename2 or err.filename or site_dir  # a copy names its destination second
    name = errno.errorcode.get(err.errno or 0, "")
    reason = MESSAGES[lang].get(f"reason_{name}") or err.strerror or str(err)
    return text(lang, "site_os_error", path=path, reason=reason)
