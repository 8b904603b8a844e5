from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from dichvucong.notify.models import Preference


class PreferenceForm(forms.ModelForm):
    class Meta:
        model = Preference
        fields = ["email", "phone", "language"]
        widgets = {"phone": forms.RadioSelect, "language": forms.RadioSelect}
        labels = {"email": _("Nhận thông báo qua thư điện tử"),
                  "phone": _("Nhận thông báo qua điện thoại"),
                  "language": _("Ngôn ngữ của thông báo")}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["language"].choices = settings.LANGUAGES
