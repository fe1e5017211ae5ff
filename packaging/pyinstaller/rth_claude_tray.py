# PyInstaller run-time hook in place of pyi_rth_gdkpixbuf (see claude-tray.spec): point GdkPixbuf at the
# bundled loaders.cache directly. PyInstaller's hook copies that file to a new temp file at every start (and
# imports tempfile for it), which costs every command milliseconds and leaves a file in $TMPDIR when the
# process is killed. packaging/build-deb.sh writes the installed paths into the cache instead.
import os
import sys

os.environ["GDK_PIXBUF_MODULE_FILE"] = os.path.join(sys._MEIPASS, "lib", "gdk-pixbuf", "loaders.cache")
