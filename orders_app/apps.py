from django.apps import AppConfig


class OrdersAppConfig(AppConfig):
    name = "orders_app"
    verbose_name = "Pass orders"
    default_auto_field = "django.db.models.BigAutoField"
