"""Every event handler a browser can call, with who may call it.

Any websocket client can send any event of any state with any arguments, so each handler
must check access itself (through the services). This list is the reviewed inventory:
tests/ui/test_handler_access.py fails when a handler is added without an entry here.

public        anyone, signed in or not (sign-in forms, guards that only redirect)
signed-in     any signed-in user, acting on their own account only
subscriber    a signed-in subscriber, on their own contract (ownership checked in the service)
partner       a signed-in partner user, on its own partner's data
admin:<perm>  an admin whose role grants <perm>; admin:any = any admin, figures filtered by role
"""

HANDLER_ACCESS: dict[str, str] = {
    "SessionState.go_home": "public",
    "SessionState.guard_cabinet": "public",
    "SessionState.guard_partner": "public",
    "SessionState.guard_admin": "public",
    "SessionState.guard_admin_section": "public",
    "SessionState.set_locale": "public",
    "SessionState.sign_out": "signed-in",
    "LoginState.on_load": "public",
    "LoginState.submit": "public",
    "RegisterState.submit": "public",
    "ForgotState.on_load": "public",
    "ForgotState.submit": "public",
    "ResetState.on_load": "public",
    "ResetState.submit": "public",
    "PasswordState.submit": "signed-in",
    "CabinetHomeState.load": "subscriber",
    "CabinetState.select_sim": "subscriber",
    "CabinetState.switch_sim": "subscriber",
    "CabinetHomeState.mark_read": "subscriber",
    "SimsState.load": "subscriber",
    "SimsState.set_text": "subscriber",
    "SimsState.show_puk": "subscriber",
    "SimsState.save_label": "subscriber",
    "SimsState.block": "subscriber",
    "SimsState.ask_unblock": "subscriber",
    "SimsState.claim": "subscriber",
    "TopupState.load": "subscriber",
    "TopupState.set_amount": "subscriber",
    "TopupState.choose_amount": "subscriber",
    "TopupState.set_pay_with": "subscriber",
    "TopupState.set_save_card": "subscriber",
    "TopupState.submit": "subscriber",
    "TopupResultState.load": "subscriber",
    "CardsState.load": "subscriber",
    "CardsState.make_default": "subscriber",
    "CardsState.delete": "subscriber",
    "CardsState.add": "subscriber",
    "AutopayState.load": "subscriber",
    "AutopayState.set_field": "subscriber",
    "AutopayState.save": "subscriber",
    "AutopayState.turn_off": "subscriber",
    "PaymentsState.load": "subscriber",
    "PaymentsState.set_filter": "subscriber",
    "PaymentsState.apply": "subscriber",
    "PaymentsState.toggle_filters": "subscriber",
    "PaymentsState.clear_filters": "subscriber",
    "PaymentsState.turn": "subscriber",
    "PaymentsState.export": "subscriber",
    "QualityState.load": "subscriber",
    "QualityState.set_comment": "subscriber",
    "QualityState.set_attach": "subscriber",
    "QualityState.rate_with_latest": "subscriber",
    "QualityState.rate": "subscriber",
    "QualityState.start_test": "subscriber",
    "QualityState.test_done": "subscriber",
    "TariffsState.load": "subscriber",
    "TariffsState.choose_tariff": "subscriber",
    "TariffsState.set_when": "subscriber",
    "TariffsState.close_preview": "subscriber",
    "TariffsState.submit_request": "subscriber",
    "TariffsState.cancel": "subscriber",
    "PartnerHomeState.load": "partner",
    "AdminHomeState.load": "admin:any",
    "OutboxState.load": "admin:admins.manage",
}
