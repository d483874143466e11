from django.apps import AppConfig


class StubRemoteConfig(AppConfig):
    name = "plugins.stub"
    label = "stub_remote"
    verbose_name = "Stub remotes (NetSuite, Unleashed, MYOB Business, MYOB Advanced, Cin7)"
