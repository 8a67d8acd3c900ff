"""The Reflex user interface: state/ (per-page and shared state), pages/, components/."""
