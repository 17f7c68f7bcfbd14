from django.urls import path

from orders_app.views import board, bump, health, i18n, insights, pickup, wall

urlpatterns = [
    path("", board.board, name="board"),
    path("orders/rows/", board.board_rows, name="board-rows"),
    path("orders/export.csv", board.board_export, name="board-export"),
    path("orders/<int:order_id>/", board.order_detail, name="order-detail"),
    path("orders/<int:order_id>/panel/", board.order_panel, name="order-panel"),
    path("orders/<int:order_id>/ignore/", board.order_ignore, name="order-ignore"),
    path("insights/", insights.insights_page, name="insights"),
    path("insights/export.csv", insights.insights_export, name="insights-export"),
    path("wall/", wall.wall, name="wall"),
    path("wall/poll/", wall.wall_poll, name="wall-poll"),
    path("wall/bump/", bump.wall_bump, name="wall-bump"),
    path("wall/recall/", bump.wall_recall, name="wall-recall"),
    path("pickup/", pickup.pickup, name="pickup"),
    path("pickup/poll/", pickup.pickup_poll, name="pickup-poll"),
    path("healthz", health.healthz, name="healthz"),
    path("i18n/<str:lang>.js", i18n.javascript_catalog, name="javascript-catalog"),
]
