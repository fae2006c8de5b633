"""Session state, one module per page (chat, compare, conversations) plus what pages share;
each module owns its keys, widget keys included, and is the only place that spells them."""
