"""The commands of ``mcdenoise``, each a config dataclass and a ``run(config)`` (:mod:`.spec`), in
the order of the loop: render, train, apply, score."""

from mcdenoise.commands import apply, demo, evaluate, live, render_pairs, sequence, train

#: Every command, in the order ``mcdenoise --help`` lists them.
COMMANDS = tuple(module.COMMAND for module in (render_pairs, sequence, live, train, apply, evaluate, demo))
