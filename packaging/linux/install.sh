#!/bin/sh
# Install Kasa from this unpacked tarball, for one user (default) or for every user.
#
#   ./install.sh             into ~/.local: the program in ~/.local/lib/kasa, the command
#                            ~/.local/bin/kasa, the menu entry and icons in ~/.local/share
#   sudo ./install.sh --system
#                            into /opt/kasa, /usr/local/bin/kasa, /usr/local/share
#   ./install.sh --uninstall [--system]
#                            remove what the same install put there (never the shop's
#                            data in ~/.local/share/kasa or its settings in ~/.config/kasa)
#
# Installing again replaces the program: that is how a shop takes a new release.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
scope=user
action=install
for argument in "$@"; do
    case $argument in
        --system) scope=system ;;
        --uninstall) action=uninstall ;;
        -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
        *) echo "install.sh: unknown option $argument (try --help)" >&2; exit 2 ;;
    esac
done

if [ "$scope" = system ]; then
    program=/opt/kasa
    bin=/usr/local/bin
    share=/usr/local/share
else
    program="$HOME/.local/lib/kasa"
    bin="$HOME/.local/bin"
    share="${XDG_DATA_HOME:-$HOME/.local/share}"
fi

refresh_menus() {
    # Desktops read new entries and icons by themselves; these only make it sooner.
    if command -v update-desktop-database >/dev/null 2>&1; then
        update-desktop-database -q "$share/applications" 2>/dev/null || true
    fi
    if command -v gtk-update-icon-cache >/dev/null 2>&1; then
        gtk-update-icon-cache -q -t "$share/icons/hicolor" 2>/dev/null || true
    fi
}

if [ "$action" = uninstall ]; then
    rm -rf "$program"
    # Only our own link: a `kasa` command someone else put there is left alone.
    if [ -L "$bin/kasa" ] && [ "$(readlink "$bin/kasa")" = "$program/kasa" ]; then
        rm -f "$bin/kasa"
    fi
    rm -f "$share/applications/kasa.desktop"
    rm -f "$share"/icons/hicolor/*/apps/kasa.png
    refresh_menus
    echo "Kasa removed from $program. The shop's data and settings are where they were."
    exit 0
fi

if [ ! -x "$here/kasa/kasa" ]; then
    echo "install.sh: $here/kasa/kasa is missing: run me from the unpacked tarball" >&2
    exit 1
fi

# The new program goes in beside the old one, then takes its place in one rename.
mkdir -p "$(dirname "$program")" "$bin" "$share/applications"
rm -rf "$program.new"
cp -a "$here/kasa" "$program.new"
rm -rf "$program.old"
if [ -e "$program" ]; then mv "$program" "$program.old"; fi
mv "$program.new" "$program"
rm -rf "$program.old"
ln -sfn "$program/kasa" "$bin/kasa"

for png in "$here"/icons/kasa-*.png; do
    size=${png##*/kasa-}
    size=${size%.png}
    install -Dm644 "$png" "$share/icons/hicolor/${size}x${size}/apps/kasa.png"
done
# The menu starts the program by its full path: ~/.local/bin is not on every session's PATH.
sed "s|^Exec=kasa|Exec=$program/kasa|" "$here/kasa.desktop" >"$share/applications/kasa.desktop"
chmod 644 "$share/applications/kasa.desktop"
refresh_menus

echo "Kasa is installed in $program and in the applications menu."
echo "Try it on the demo shop:        $bin/kasa --demo"
echo "Check the installation works:   $bin/kasa --self-test"
case ":$PATH:" in
    *":$bin:"*) ;;
    *) echo "($bin is not on your PATH: start Kasa from the menu or by the full path.)" ;;
esac
