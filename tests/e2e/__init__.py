"""End-to-end tests: the real tray on Xvfb with trayer, dunst and a D-Bus session."""
