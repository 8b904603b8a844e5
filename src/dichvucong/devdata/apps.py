from django.apps import AppConfig


class DevdataConfig(AppConfig):
    """Demo and synthetic data: the demo accounts, the ``demo`` command, the synthetic history.
    In the top layer (it may use every app); no app imports it."""

    name = "dichvucong.devdata"
    # No models, so the admin never shows this name: it stays out of the translation catalogue.
    verbose_name = "Dữ liệu trình diễn và dữ liệu giả lập"
