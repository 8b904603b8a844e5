from django import forms
from django.utils.translation import gettext_lazy as _

from dichvucong.agencies.models import Agency

COMMUNE_AGENCY_CHOICES = {
    "ubnd-xa": Agency.Kind.COMMUNE_COMMITTEE,
    "cong-an-xa": Agency.Kind.COMMUNE_POLICE,
}


class CatalogFilterForm(forms.Form):
    q = forms.CharField(label=_("Từ khóa"), required=False, max_length=200)
    field = forms.SlugField(label=_("Lĩnh vực"), required=False)
    agency = forms.SlugField(label=_("Cơ quan"), required=False)
    level = forms.ChoiceField(
        label=_("Cấp thực hiện"), required=False,
        choices=[("", _("Tất cả")), ("province", _("Cấp tỉnh")), ("commune", _("Cấp xã"))],
    )
    online = forms.BooleanField(label=_("Chỉ thủ tục trực tuyến toàn trình"), required=False)
