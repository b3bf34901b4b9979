"""Kefu 客服: customer-service and key-account platform for mobile operators."""
