"""Flow nodes the open-source viewflow edition lacks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from viewflow.workflow.activation import Activation
from viewflow.workflow.exceptions import FlowRuntimeError
from viewflow.workflow.nodes.split import Split, SplitActivation


class EachSplitActivation(SplitActivation):
    """Creates one outgoing task per item the branch's data source returns; the item lands in ``task.data``."""

    @Activation.status.super()
    def activate(self) -> None:
        for node, cond, data_source in self.flow_task._branches:
            if cond and not cond(self):
                continue
            if data_source is None:
                self.next_tasks.append((node, None))
            else:
                self.next_tasks.extend((node, item) for item in data_source(self))
        if not self.next_tasks:
            raise FlowRuntimeError(f"No branch to start from {self.flow_task.name}")


class EachSplit(Split):
    """Parallel split with one branch per data item (here: one branch per responsible unit's report).

    ``EachSplit().Next(this.fill, data_source=this.parts_to_fill)`` starts ``fill`` once for each
    dict the data source returns, like the PRO edition's ``task_data_source``.
    """

    activation_class = EachSplitActivation

    def Next(
        self, node: Any, case: Callable | None = None, data_source: Callable[[Activation], list[dict]] | None = None
    ) -> EachSplit:
        self._activate_next.append((node, case, data_source))
        return self
