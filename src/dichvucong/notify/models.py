from django.db import models
from django.utils.translation import gettext_lazy as _


class SandboxMessage(models.Model):
    """A text message the demo's sandbox SMS gateway received instead of a real phone, shown
    at /hop-thu-thu-nghiem/ in demo mode so a tester can read one-time codes."""

    phone = models.CharField(max_length=20)
    content = models.TextField()
    request_id = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("tin nhắn thử nghiệm")
        verbose_name_plural = _("tin nhắn thử nghiệm")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.phone}: {self.content[:40]}"
