"""The names the load clients send: taken from the app's own state classes, so a renamed
state or handler fails here at start-up instead of as timeouts under load."""

from __future__ import annotations

from dataclasses import dataclass

from bench.load_client import Protocol


@dataclass(frozen=True)
class Names:
    proto: Protocol
    session: str
    ping: str
    login: str
    cabinet: str
    cabinet_home: str
    payments: str
    topup: str
    topup_result: str
    admin_sims: str


def load_names() -> Names:
    """Import the app (registers every state) and read the compiled frontend's facts."""
    from reflex.compiler.utils import compile_client_storage, compile_state
    from reflex.state import (
        OnLoadInternalState,
        State,
        state_snapshot_hashes,
    )
    from reflex_base.constants import CompileVars

    import paysim_app.paysim_app  # noqa: F401  (registers the pages' states)
    from paysim_app.ui.admin.sims import AdminSimsState
    from paysim_app.ui.auth.session import PingState, SessionState
    from paysim_app.ui.auth.states import LoginState
    from paysim_app.ui.cabinet.home import CabinetHomeState
    from paysim_app.ui.cabinet.payments import PaymentsState
    from paysim_app.ui.cabinet.state import CabinetState
    from paysim_app.ui.cabinet.topup import TopupResultState, TopupState

    root = State.get_full_name()
    storage = compile_client_storage(State).get("local_storage", {})
    proto = Protocol(
        root=root,
        hydrate_and_load=f"{root}.{CompileVars.HYDRATE_AND_LOAD}",
        update_vars_internal=f"{root}.{CompileVars.UPDATE_VARS_INTERNAL}",
        on_load_internal=f"{root}.{CompileVars.ON_LOAD_INTERNAL}",
        set_is_hydrated=f"{OnLoadInternalState.get_full_name()}.set_is_hydrated",
        state_schema=State._to_frontend_schema(),
        hashes=tuple(state_snapshot_hashes(compile_state(State))),
        local_storage={key: opts.get("name") or key for key, opts in storage.items()},
    )
    return Names(
        proto=proto,
        session=SessionState.get_full_name(),
        ping=PingState.get_full_name(),
        login=LoginState.get_full_name(),
        cabinet=CabinetState.get_full_name(),
        cabinet_home=CabinetHomeState.get_full_name(),
        payments=PaymentsState.get_full_name(),
        topup=TopupState.get_full_name(),
        topup_result=TopupResultState.get_full_name(),
        admin_sims=AdminSimsState.get_full_name(),
    )
